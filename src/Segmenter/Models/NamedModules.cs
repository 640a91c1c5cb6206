using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models;

/// <summary>
/// Submodules under names given at run time (state-dict keys <c>&lt;field&gt;.&lt;name&gt;.*</c>, as PyTorch's nn.ModuleDict),
/// looked up with <see cref="Get"/>. Used instead of TorchSharp's ModuleDict, whose two indexers make
/// <c>Module.to(dtype)</c> fail in TorchSharp 0.107 (it maps the public properties by name, and both indexers are
/// named "Item"), which broke mixed-precision replicas of any model holding one.
/// </summary>
public sealed class NamedModules<T> : nn.Module where T : nn.Module
{
    private readonly Dictionary<string, T> _byName = new(StringComparer.Ordinal);

    public NamedModules(IEnumerable<(string Name, T Module)> modules) : base("ModuleDict")
    {
        foreach (var (name, module) in modules)
        {
            _byName.Add(name, module);
            register_module(name, module);
        }
    }

    public T Get(string name) => _byName[name];
    public IReadOnlyCollection<string> Names => _byName.Keys;
}
