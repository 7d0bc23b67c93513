using System.Diagnostics;

namespace Kubesharp.Proxy.Model;

/// <summary>What a rule tool printed and how it exited.</summary>
public readonly record struct RuleToolResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs the kernel's rule tools (<c>iptables-restore</c>, <c>iptables-save</c>, <c>nft</c>, <c>ip</c>), optionally inside
/// a network namespace (through <c>nsenter --net=PATH</c>, never <c>ip netns exec</c>: RUNTIME.md), with the input on stdin.
/// </summary>
public sealed class RuleTool(string? networkNamespacePath = null)
{
    /// <summary>The namespace's path (<c>/var/run/netns/NAME</c>), or null for the calling process's namespace.</summary>
    public string? NetworkNamespacePath { get; } = networkNamespacePath;

    public async Task<RuleToolResult> RunAsync(string file, IReadOnlyList<string> args, string? stdin, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (NetworkNamespacePath is { } ns)
        {
            start.FileName = "nsenter";
            start.ArgumentList.Add("--net=" + ns);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(file);
        }
        else
        {
            start.FileName = file;
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }

        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new RuleToolResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
