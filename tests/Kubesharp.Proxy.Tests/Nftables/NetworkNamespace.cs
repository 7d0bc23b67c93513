using System.Diagnostics;
using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Tests.Nftables;

/// <summary>
/// A network namespace of the test's own (<c>ks-nft-PID-N</c>), so rules, links and routes never touch the host's;
/// entered with <c>nsenter --net</c> (never <c>ip netns exec</c>: RUNTIME.md) and deleted on dispose, even after a
/// failure. <see cref="SkipReason"/> says why one cannot be made here (not root, no <c>ip</c>/<c>nft</c>); with
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
                throw new InvalidOperationException("KUBESHARP_REQUIRE_RUNTIME=1 but network namespaces with nft are unavailable: " + SkipReason);
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
            return "network namespaces and nft need root";
        }

        foreach (var (tool, version) in new[] { ("ip", "-V"), ("nft", "--version"), ("nsenter", "--version") })
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
