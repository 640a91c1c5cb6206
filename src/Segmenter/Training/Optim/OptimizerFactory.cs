using Segmenter.Training;
using Segmenter.Config;
using static TorchSharp.torch;
using TorchSharp;
using TorchSharp.Modules;

namespace Segmenter.Training.Optim;

/// <summary>
/// Builds the optimizer a config asks for. Parameter groups: "backbone" (names starting "backbone.", lr × 1) and
/// "head" (everything else, lr × head_lr_mult); with no_decay_on_norm_and_bias, 1-D parameters (biases, norm
/// weights) go to "backbone.no_decay" / "head.no_decay" with weight decay 0. Frozen parameters are left out.
/// </summary>
public static class OptimizerFactory
{
    public static IOptimizer Create(OptimizerConfig cfg, nn.Module model)
    {
        var groups = BuildGroups(cfg, model);
        if (cfg.Betas.Count != 2 && cfg.Type is "adamw" or "radam")
            throw new SegmenterException($"betas has {cfg.Betas.Count} values; two are expected", "optimizer.betas", "use e.g. [0.9, 0.999]");
        if (cfg.Lr <= 0)
            throw new SegmenterException($"lr is {cfg.Lr}; it must be positive", "optimizer.lr", "use e.g. 0.01");
        IOptimizer opt = cfg.Type switch
        {
            "sgd" => new Sgd(groups, cfg.Lr, cfg.Momentum, cfg.Nesterov),
            "adamw" => new AdamW(groups, cfg.Lr, cfg.Betas[0], cfg.Betas[1], cfg.Eps),
            "radam" => new RAdam(groups, cfg.Lr, cfg.Betas[0], cfg.Betas[1], cfg.Eps),
            _ => throw new SegmenterException($"unknown optimizer type '{cfg.Type}'", "optimizer.type", "use sgd, adamw or radam"),
        };
        return cfg.Lookahead is { } la ? new Lookahead(opt, la.K, la.Alpha) : opt;
    }

    public static IReadOnlyList<ParamGroup> BuildGroups(OptimizerConfig cfg, nn.Module model)
    {
        if (cfg.WeightDecay < 0)
            throw new SegmenterException($"weight_decay is {cfg.WeightDecay}; it must be 0 or more", "optimizer.weight_decay", "use e.g. 5e-4");
        if (cfg.HeadLrMult <= 0)
            throw new SegmenterException($"head_lr_mult is {cfg.HeadLrMult}; it must be positive", "optimizer.head_lr_mult", "use 1.0 (same lr as the backbone) or e.g. 10");
        var lists = new Dictionary<string, List<(string, Parameter)>>
        {
            ["backbone"] = [], ["backbone.no_decay"] = [], ["head"] = [], ["head.no_decay"] = [],
        };
        foreach (var (name, p) in model.named_parameters())
        {
            if (!p.requires_grad) continue;
            string group = name.StartsWith("backbone.", StringComparison.Ordinal) ? "backbone" : "head";
            if (cfg.NoDecayOnNormAndBias && p.dim() <= 1) group += ".no_decay";
            lists[group].Add((name, p));
        }
        var groups = new List<ParamGroup>();
        foreach (var (name, ps) in lists)
        {
            if (ps.Count == 0) continue;
            double lrMult = name.StartsWith("backbone", StringComparison.Ordinal) ? 1.0 : cfg.HeadLrMult;
            double wd = name.EndsWith(".no_decay", StringComparison.Ordinal) ? 0.0 : cfg.WeightDecay;
            groups.Add(new ParamGroup(name, ps, lrMult, wd));
        }
        return groups;
    }
}
