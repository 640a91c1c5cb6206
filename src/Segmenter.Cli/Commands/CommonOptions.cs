using System.CommandLine;
using Segmenter.Config;
using Segmenter.Logging;
using Serilog;

namespace Segmenter.Cli.Commands;

/// <summary>Options shared by several verbs, and the one place that turns a parse result into a loaded config.</summary>
public static class CommonOptions
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Debug logging, and stack traces on errors.",
        Recursive = true,
    };

    public static Option<string> Config(bool required = true) => new("--config", "-c")
    {
        Description = "Config YAML. A path that does not exist as given is also looked up under configs/.",
        Required = required,
    };

    public static Option<string[]> CfgOptions() => new("--cfg-options")
    {
        Description = "Overrides of config keys, e.g. --cfg-options optimizer.lr=0.02 data.batch_size=8 model.backbone.multi_grid=[1,2,4]",
        AllowMultipleArgumentsPerToken = true,
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static Option<string?> Device() => new("--device")
    {
        Description = "cpu, cuda, cuda:N, or a list cuda:0,1 for data-parallel training (overrides train.device).",
    };

    /// <summary>The ms+flip test of mmseg's Cityscapes/VOC tables (REFERENCE 8): img_ratios 0.5..1.75 with horizontal flip.</summary>
    public const string TtaScales = "[0.5,0.75,1.0,1.25,1.5,1.75]";

    public static Option<bool> Tta() => new("--tta")
    {
        Description = $"Multi-scale + flip test (softmax averaged, as mmseg aug_test; panoptic models also average centre heatmaps and offsets, as DeepLab2): same as --cfg-options test.scales={TtaScales} test.flip=true.",
    };

    /// <summary>The overrides --tta stands for (none when off).</summary>
    public static (string Key, string? Value)[] TtaOverrides(bool tta) =>
        tta ? [("test.scales", TtaScales), ("test.flip", "true")] : [];

    /// <summary>Loads the config with --cfg-options, then the dedicated flags as further overrides (flags win).</summary>
    public static ExperimentConfig LoadConfig(string path, IEnumerable<string>? cfgOptions, params (string Key, string? Value)[] flags)
    {
        var overrides = (cfgOptions ?? []).ToList();
        foreach (var (key, value) in flags)
            if (value is not null) overrides.Add($"{key}={value}");
        return ConfigLoader.Load(path, overrides);
    }

    /// <summary>Runs a verb body with logging set up and bad input reported as one line with exit code 2.</summary>
    public static int Run(ParseResult parse, Func<int> body, string? logFile = null)
    {
        bool verbose = parse.GetValue(Verbose);
        LogSetup.Configure(verbose, logFile);
        try
        {
            using (Progress.ProgressConsole.Start(parse.CommandResult.Command.Name)) // bars end before an error line is printed
                return body();
        }
        catch (SegmenterException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (Exception e) when (TorchNativeLoadError.TryDescribe(e, out var message))
        {
            Console.Error.WriteLine($"error: {message}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (Exception e) when (!verbose)
        {
            Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message} (run with --verbose for the stack trace)");
            return 1;
        }
        finally
        {
            Log.CloseAndFlush();
        }
    }
}
