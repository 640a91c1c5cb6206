using System.CommandLine;
using Segmenter.Visualization;

namespace Segmenter.Cli.Commands;

public static class ReportCommand
{
    public static Command Create()
    {
        var workDir = new Option<string>("--work-dir", "-w") { Description = "Work dir of a training run (holds metrics.jsonl).", Required = true };
        var cmd = new Command("report", "Write <work-dir>/report/report.html (self-contained, plots inline) and its PNGs: losses, lr, validation metrics and loss, per-class IoU, confusion matrix, timing.")
        {
            workDir,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var path = RunReport.Write(parse.GetValue(workDir)!);
            Console.WriteLine(path);
            return 0;
        }));
        return cmd;
    }
}
