using Segmenter.Training;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace Segmenter.Training.Optim;

/// <summary>
/// What Sgd, AdamW and RAdam share: parameter groups, per-parameter state tensors keyed by parameter name,
/// optional per-parameter step counts (Adam-type bias corrections), and the state-dict format
/// ("step", "&lt;kind&gt;.&lt;param name&gt;", "step.&lt;param name&gt;").
/// </summary>
public abstract class OptimizerBase : IOptimizer, IDisposable
{
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, Tensor>> _state = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _paramSteps = new(StringComparer.Ordinal);

    protected OptimizerBase(IReadOnlyList<ParamGroup> groups, double lr, IReadOnlyList<string> stateKinds, bool perParamSteps)
    {
        if (groups.Count == 0 || groups.All(g => g.Params.Count == 0))
            throw new SegmenterException("the optimizer has no parameters to train", "optimizer", "check that the model has trainable parameters");
        foreach (var g in groups)
            foreach (var (name, p) in g.Params)
                if (!_byName.TryAdd(name, p))
                    throw new ArgumentException($"parameter '{name}' appears in more than one group");
        Groups = groups;
        StateKinds = stateKinds;
        foreach (var k in stateKinds) _state[k] = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        PerParamSteps = perParamSteps;
        SetLearningRate(lr);
    }

    public IReadOnlyList<ParamGroup> Groups { get; }
    public long StepCount { get; private set; }
    protected IReadOnlyList<string> StateKinds { get; }
    protected bool PerParamSteps { get; }

    public void SetLearningRate(double baseLr)
    {
        foreach (var g in Groups) g.Lr = baseLr * g.LrMult;
    }

    public void SetLearningRates(Func<double, double> lrOfMult)
    {
        foreach (var g in Groups) g.Lr = lrOfMult(g.LrMult);
    }

    public void Step()
    {
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        using var scalars = new HeldScalars();
        _scalars = scalars;
        foreach (var group in Groups)
            foreach (var (name, p) in group.Params)
            {
                var grad = p.grad;
                if (grad is null) continue;
                long step = 0;
                if (PerParamSteps)
                {
                    step = _paramSteps.GetValueOrDefault(name) + 1;
                    _paramSteps[name] = step;
                }
                Update(group, name, p, grad, step);
            }
        _scalars = null;
        StepCount++;
    }

    private HeldScalars? _scalars;

    /// <summary>A Scalar argument for an update, alive until the end of the Step (see <see cref="HeldScalars"/>).</summary>
    protected Scalar Arg(double value) =>
        (_scalars ?? throw new InvalidOperationException("Arg is only valid inside Step")).Of(value);

    /// <summary>One parameter's update, in place. Temporaries land in the Step's DisposeScope.</summary>
    /// <param name="step">This parameter's 1-based step count (only when per-parameter steps are on).</param>
    protected abstract void Update(ParamGroup group, string name, Parameter p, Tensor grad, long step);

    /// <summary>The state tensor of this kind for this parameter, or null before its first update.</summary>
    protected Tensor? GetState(string kind, string name) => _state[kind].GetValueOrDefault(name);

    /// <summary>Keeps <paramref name="t"/> (taken out of any DisposeScope) as the state of this kind for this parameter.</summary>
    protected Tensor SetState(string kind, string name, Tensor t)
    {
        t.DetachFromDisposeScope();
        if (_state[kind].Remove(name, out var old) && !ReferenceEquals(old, t)) old.Dispose();
        _state[kind][name] = t;
        return t;
    }

    /// <summary>The existing state, or zeros like <paramref name="p"/> on first use.</summary>
    protected Tensor StateOrZeros(string kind, string name, Tensor p) =>
        GetState(kind, name) ?? SetState(kind, name, torch.zeros_like(p, requires_grad: false));

    public void ZeroGrad()
    {
        foreach (var g in Groups)
            foreach (var (_, p) in g.Params)
                p.grad = null;
    }

    public Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["step"] = torch.tensor(StepCount, ScalarType.Int64).DetachFromDisposeScope(),
        };
        using var scope = NewDisposeScope();
        foreach (var (kind, byName) in _state)
            foreach (var (name, t) in byName)
                dict[$"{kind}.{name}"] = t.detach().cpu().clone().DetachFromDisposeScope();
        foreach (var (name, s) in _paramSteps)
            dict[$"step.{name}"] = torch.tensor(s, ScalarType.Int64).DetachFromDisposeScope();
        return dict;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        const string where = "optimizer state";
        const string fix = "resume with the optimizer settings the checkpoint was trained with";
        if (!state.TryGetValue("step", out var stepT))
            throw new SegmenterException($"{GetType().Name} state has no 'step' entry", where, fix);
        var tensors = new List<(string Kind, string Name, Tensor Src)>();
        var steps = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, t) in state)
        {
            if (key == "step") continue;
            int dot = key.IndexOf('.');
            string kind = dot < 0 ? key : key[..dot], name = dot < 0 ? "" : key[(dot + 1)..];
            if (!_byName.TryGetValue(name, out var p))
                throw new SegmenterException($"{GetType().Name} state has key '{key}' for a parameter the model does not have", where, fix);
            if (kind == "step" && PerParamSteps)
            {
                steps[name] = t.ToInt64();
                continue;
            }
            if (!_state.ContainsKey(kind))
                throw new SegmenterException($"{GetType().Name} state has key '{key}' of unknown kind '{kind}' (another optimizer type?)", where, fix);
            if (!t.shape.SequenceEqual(p.shape))
                throw new SegmenterException(
                    $"{GetType().Name} state '{key}' has shape [{string.Join(",", t.shape)}], the parameter has [{string.Join(",", p.shape)}]", where, fix);
            tensors.Add((kind, name, t));
        }

        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        foreach (var byName in _state.Values)
        {
            foreach (var t in byName.Values) t.Dispose();
            byName.Clear();
        }
        foreach (var (kind, name, src) in tensors)
        {
            var p = _byName[name];
            SetState(kind, name, src.detach().to(p.dtype, p.device, copy: true));
        }
        _paramSteps.Clear();
        foreach (var (name, s) in steps) _paramSteps[name] = s;
        StepCount = stepT.ToInt64();
    }

    public void Dispose()
    {
        foreach (var byName in _state.Values)
        {
            foreach (var t in byName.Values) t.Dispose();
            byName.Clear();
        }
        GC.SuppressFinalize(this);
    }
}
