using System.Diagnostics;
using System.Runtime.InteropServices;
using Segmenter.Tests.Training.Distributed;

namespace Segmenter.Tests.Training.Cluster;

/// <summary>
/// Two simulated machines from scripts/netns_hosts.sh: network namespaces segmenter-h0 (10.231.0.1) and segmenter-h1
/// (10.231.0.2) joined by a veth pair, addresses that exist only inside them. mpirun runs in h0 and starts the daemon of
/// h1 through the script's launch agent (Open MPI's plm_rsh_agent, in place of ssh), so the ranks reach each other
/// only over TCP between the "hosts". Each test (re)creates them with <see cref="Up"/>, which deletes what an earlier test
/// or a test host that died left behind first; <see cref="Dispose"/> deletes them after the class. <see cref="SkipReason"/> says why namespaces cannot be made here.
/// </summary>
public sealed class NetnsHosts : IDisposable
{
    [DllImport("libc")]
    private static extern uint geteuid();

    public static readonly string Script = Path.Combine(TestPaths.RepoRoot, "scripts", "netns_hosts.sh");
    public static readonly string[] Hosts = ["10.231.0.1", "10.231.0.2"];
    public const string Subnet = "10.231.0.0/24";

    /// <summary>iproute2's ip (in /usr/sbin, which a test host's PATH may lack).</summary>
    public static string Ip => LocalSlurm.Which("ip") ?? "ip";

    public static string? SkipReason { get; } = FindSkipReason();

    private bool _used;

    /// <summary>
    /// (Re)creates both hosts, so that every test starts from two live hosts whatever the one before did to them;
    /// null when they are up, else why not.
    /// </summary>
    public string? Up()
    {
        _used = true;
        var r = ExternalProcess.Run("bash", [Script, "up"]);
        return r.Exit == 0 ? null : $"scripts/netns_hosts.sh up failed ({r.Exit}): {r.Out}{r.Err}";
    }

    public void Dispose()
    {
        if (SkipReason is null && _used) ExternalProcess.Run("bash", [Script, "down"]);
    }

    /// <summary>
    /// `ip netns exec segmenter-h0 mpirun -np 2 --host 10.231.0.1:1,10.231.0.2:1` with the launch agent, TCP only, on the
    /// namespaces' subnet; each host with its own TMPDIR (Open MPI's session directories), as separate machines have.
    /// </summary>
    public static Process StartMpirun(IEnumerable<string> command, bool redirect = true)
    {
        var psi = new ProcessStartInfo(Ip) { RedirectStandardOutput = redirect, RedirectStandardError = redirect };
        foreach (var a in new[]
                 {
                     "netns", "exec", "segmenter-h0", MpiRunner.MpiRun!, "--allow-run-as-root", "-np", "2", "--host", $"{Hosts[0]}:1,{Hosts[1]}:1",
                     "--mca", "plm_rsh_agent", $"{Script} agent", "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", Subnet,
                     "--mca", "oob_tcp_if_include", Subnet,
                 }.Concat(command))
            psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "dumb";
        var tmp = Path.Combine(Path.GetTempPath(), "segmenter-host0");
        Directory.CreateDirectory(tmp);
        psi.Environment["TMPDIR"] = tmp;
        return Process.Start(psi)!;
    }

    private static string? FindSkipReason()
    {
        if (!OperatingSystem.IsLinux()) return "SKIPPED: network namespaces need Linux";
        if (geteuid() != 0) return "SKIPPED: creating network namespaces needs root; run the tests as root";
        if (LocalSlurm.Which("ip") is null) return "SKIPPED: ip not found (apt-get install iproute2)";
        if (!MpiRunner.Available) return MpiRunner.Missing;
        return null;
    }
}
