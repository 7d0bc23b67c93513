using System.Diagnostics;
using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Tests.Nftables;

/// <summary>
/// A network namespace of the test's own (<c>ks-nft-PID-N</c>; both proxy modes' tests use it), so rules, links and
/// routes never touch the host's;
/// entered with <c>nsenter --net</c> (never <c>ip netns exec</c>: RUNTIME.md) and deleted on dispose, even after a
/// failure. <see cref="SkipReason"/> says why one cannot be made here (not root, a rule tool missing); with
/// <c>KUBESHARP_REQUIRE_RUNTIME=1</c>, <see cref="Create"/> throws instead so the test fails rather than skips.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private static int _counter;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private NetworkNamespace(string name)
    {
        Name = name;
        Tool = new RuleTool(Path);
    }

    public string Name { get; }

    public string Path => "/var/run/netns/" + Name;

    /// <summary>Runs rule tools inside this namespace.</summary>
    public RuleTool Tool { get; }

    public static string? SkipReason { get; } = FindSkipReason();

    /// <summary>A new namespace with loopback up; throws when namespaces are unavailable and the runtime is required.</summary>
    public static NetworkNamespace? Create()
    {
        if (SkipReason is not null)
        {
            if (Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_RUNTIME") == "1")
            {
                throw new InvalidOperationException("KUBESHARP_REQUIRE_RUNTIME=1 but network namespaces with the rule tools are unavailable: " + SkipReason);
            }

            return null;
        }

        var name = $"ks-nft-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}";
        Run("ip", "netns", "add", name).ThrowIfFailed();
        var ns = new NetworkNamespace(name);
        try
        {
            ns.Exec("ip", "link", "set", "lo", "up").ThrowIfFailed();
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Runs a command inside the namespace (bounded in time).</summary>
    public Result Exec(params string[] command) => Run(["nsenter", "--net=" + Path, "--", .. command]);

    /// <summary>
    /// A veth pair (no dummy module on every kernel here), <c>ksv0</c> carrying <paramref name="addresses"/> (each a /32)
    /// and the route to the service range 10.43.0.0/16: listeners bind the addresses, clients reach fake cluster IPs.
    /// </summary>
    public void AddListenerLink(params string[] addresses)
    {
        Exec("ip", "link", "add", "ksv0", "type", "veth", "peer", "name", "ksv1").ThrowIfFailed();
        foreach (var address in addresses)
        {
            Exec("ip", "addr", "add", address + "/32", "dev", "ksv0").ThrowIfFailed();
        }

        Exec("ip", "link", "set", "ksv1", "up").ThrowIfFailed();
        Exec("ip", "link", "set", "ksv0", "up").ThrowIfFailed();
        Exec("ip", "route", "add", "10.43.0.0/16", "dev", "ksv0").ThrowIfFailed();
    }

    /// <summary>Starts a long-running process inside the namespace (the caller kills it).</summary>
    public Process Start(params string[] command)
    {
        var start = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--net=" + Path, "--", .. command])
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("cannot start nsenter");
    }

    public void Dispose() => Run("ip", "netns", "delete", Name);

    public readonly record struct Result(int ExitCode, string Stdout, string Stderr)
    {
        public Result ThrowIfFailed() =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"exit {ExitCode}: {Stderr}{Stdout}");
    }

    public static Result Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + command[0]);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(CommandTimeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', command)} did not finish in {CommandTimeout}");
        }

        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? FindSkipReason()
    {
        if (Environment.UserName != "root")
        {
            return "network namespaces and rule tools need root";
        }

        foreach (var (tool, version) in new[] { ("ip", "-V"), ("nft", "--version"), ("nsenter", "--version"), ("iptables-restore", "--version"), ("iptables-save", "--version"), ("socat", "-V") })
        {
            try
            {
                Run(tool, version);
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return $"{tool} is not installed: {e.Message}";
            }
        }

        return null;
    }
}
