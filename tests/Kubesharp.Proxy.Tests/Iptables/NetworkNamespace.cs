using System.Diagnostics;
using Kubesharp.Proxy.Model;
using Kubesharp.Testing.Runtime;

namespace Kubesharp.Proxy.Tests.Iptables;

/// <summary>
/// A network namespace of the test's own (<c>ks-iptables-PID-N</c>), so that rules, links and routes never touch the
/// host's. Created with <c>ip netns add</c>, entered with <c>nsenter --net</c>, deleted on dispose even after a failure.
/// <see cref="SkipReason"/> says why one cannot be made here (not root, tools missing); with
/// <c>KUBESHARP_REQUIRE_RUNTIME=1</c> that is a failure instead of a skip.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private static int _counter;

    private NetworkNamespace(string name)
    {
        Name = name;
        Tool = new RuleTool(Path);
    }

    public string Name { get; }

    public string Path => "/var/run/netns/" + Name;

    public RuleTool Tool { get; }

    public static string? SkipReason { get; } = FindSkipReason();

    /// <summary>A new namespace with loopback up; skips (or fails under KUBESHARP_REQUIRE_RUNTIME=1) when none can be made.</summary>
    public static NetworkNamespace Create()
    {
        if (SkipReason is { } reason)
        {
            if (Environment.GetEnvironmentVariable(ContainerRuntimeEnvironment.RequireVariable) == "1")
            {
                Assert.Fail($"{ContainerRuntimeEnvironment.RequireVariable}=1 but {reason}");
            }

            Skip.If(true, reason);
        }

        var name = $"ks-iptables-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}";
        Run("ip", "netns", "add", name);
        var ns = new NetworkNamespace(name);
        try
        {
            ns.Exec("ip", "link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Runs a command inside the namespace; throws with its output when it fails.</summary>
    public string Exec(params string[] args) => Run(["nsenter", "--net=" + Path, "--", .. args]);

    /// <summary>Starts a long-running process inside the namespace (the caller kills it).</summary>
    public Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--net=" + Path, "--", .. args])
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start)!;
    }

    public void Dispose() => Run(["ip", "netns", "delete", Name], check: false);

    private static string Run(params string[] args) => Run(args, check: true);

    private static string Run(string[] args, bool check)
    {
        var start = new ProcessStartInfo(args[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', args)} did not finish in 30 s");
        }

        if (check && p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', args)} exited with {p.ExitCode}: {stderr.Result}");
        }

        return stdout.Result;
    }

    private static string? FindSkipReason()
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root")
        {
            return "network namespaces and iptables need root";
        }

        foreach (var tool in (string[])["ip", "nsenter", "iptables-restore", "iptables-save", "socat"])
        {
            if (!((string[])["/usr/sbin", "/usr/bin", "/sbin", "/bin"]).Any(d => File.Exists(System.IO.Path.Combine(d, tool))))
            {
                return $"{tool} is not installed";
            }
        }

        return null;
    }
}
