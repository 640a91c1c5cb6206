using Segmenter.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Optim;

/// <summary>
/// Lookahead (Zhang et al. 2019) around any optimizer: the inner optimizer moves the fast weights; every k steps
/// the slow weights move slow += alpha·(fast − slow) and the fast weights restart from them. Slow weights start
/// as the parameters just before the first step (the paper's φ0 = θ0; taken then, not at construction, so loading
/// pretrained weights after building the optimizer is safe). State: "lookahead_step", "slow.&lt;name&gt;" (once
/// taken), and the inner optimizer's state under "inner.".
/// </summary>
public sealed class Lookahead : IOptimizer, IDisposable
{
    private readonly IOptimizer _inner;
    private readonly Dictionary<string, Tensor> _slow = new(StringComparer.Ordinal);

    public Lookahead(IOptimizer inner, int k, double alpha)
    {
        if (k < 1)
            throw new SegmenterException($"lookahead k is {k}; it must be 1 or more", "optimizer.lookahead.k", "use e.g. 6");
        if (alpha is <= 0 or > 1)
            throw new SegmenterException($"lookahead alpha is {alpha}; it must lie in (0, 1]", "optimizer.lookahead.alpha", "use e.g. 0.5");
        _inner = inner;
        K = k;
        Alpha = alpha;
    }

    public IOptimizer Inner => _inner;
    public int K { get; }
    public double Alpha { get; }
    public IReadOnlyList<ParamGroup> Groups => _inner.Groups;
    public long StepCount { get; private set; }

    public void SetLearningRate(double baseLr) => _inner.SetLearningRate(baseLr);
    public void SetLearningRates(Func<double, double> lrOfMult) => _inner.SetLearningRates(lrOfMult);
    public void ZeroGrad() => _inner.ZeroGrad();

    public void Step()
    {
        if (_slow.Count == 0)
        {
            using var noGrad0 = torch.no_grad();
            using var scope0 = NewDisposeScope();
            foreach (var g in Groups)
                foreach (var (name, p) in g.Params)
                    _slow[name] = p.detach().clone().DetachFromDisposeScope();
        }
        _inner.Step();
        StepCount++;
        if (StepCount % K != 0) return;
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        using var scalars = new HeldScalars();
        var alpha = scalars.Of(Alpha);
        foreach (var g in Groups)
            foreach (var (name, p) in g.Params)
            {
                var slow = _slow[name];
                slow.add_(p.sub(slow), alpha: alpha);
                p.copy_(slow);
            }
    }

    public Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["lookahead_step"] = torch.tensor(StepCount, ScalarType.Int64).DetachFromDisposeScope(),
        };
        using (var scope = NewDisposeScope())
            foreach (var (name, t) in _slow) dict[$"slow.{name}"] = t.detach().cpu().clone().DetachFromDisposeScope();
        foreach (var (key, t) in _inner.StateDict()) dict[$"inner.{key}"] = t;
        return dict;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        const string where = "optimizer state";
        const string fix = "resume with the optimizer settings the checkpoint was trained with (lookahead on/off must match)";
        if (!state.TryGetValue("lookahead_step", out var stepT))
            throw new SegmenterException("the state has no 'lookahead_step' (trained without lookahead?)", where, fix);
        var inner = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var slow = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in state)
        {
            if (key == "lookahead_step") continue;
            if (key.StartsWith("inner.", StringComparison.Ordinal)) inner[key["inner.".Length..]] = t;
            else if (key.StartsWith("slow.", StringComparison.Ordinal)) slow[key["slow.".Length..]] = t;
            else throw new SegmenterException($"Lookahead state has an unknown key '{key}'", where, fix);
        }
        var names = Groups.SelectMany(g => g.Params).ToDictionary(x => x.Name, x => x.P);
        if (slow.Count > 0)
            foreach (var (name, p) in names)
            {
                if (!slow.TryGetValue(name, out var src))
                    throw new SegmenterException($"Lookahead state has no slow weights for '{name}'", where, fix);
                if (!src.shape.SequenceEqual(p.shape))
                    throw new SegmenterException($"Lookahead slow weights '{name}' have shape [{string.Join(",", src.shape)}], the parameter has [{string.Join(",", p.shape)}]", where, fix);
            }
        if (slow.Keys.FirstOrDefault(n => !names.ContainsKey(n)) is { } extra)
            throw new SegmenterException($"Lookahead state has slow weights for '{extra}', a parameter the model does not have", where, fix);
        _inner.LoadStateDict(inner);
        foreach (var t in _slow.Values) t.Dispose();
        _slow.Clear();
        using (torch.no_grad())
        using (var scope = NewDisposeScope())
            foreach (var (name, src) in slow)
                _slow[name] = src.detach().to(names[name].dtype, names[name].device, copy: true).DetachFromDisposeScope();
        StepCount = stepT.ToInt64();
    }

    public void Dispose()
    {
        foreach (var t in _slow.Values) t.Dispose();
        _slow.Clear();
        _inner.Dispose();
    }
}
