using System.Diagnostics;
using Xunit;

namespace Kubesharp.Testing;

/// <summary>
/// The real kubectl, run against a test server: skips (visibly) when it is not installed, unless
/// <c>KUBESHARP_REQUIRE_KUBECTL=1</c>, which makes its absence a failure.
/// </summary>
public static class Kubectl
{
    /// <summary>Runs <c>kubectl ARGS</c> with <paramref name="kubeconfig"/> and a private HOME (kubectl caches discovery per host for hours); killed after <paramref name="timeout"/>.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string kubeconfig, string home, TimeSpan timeout, params string[] args) =>
        RunAsync(kubeconfig, home, timeout, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunAsync(string, string, TimeSpan, string[])"/>, with more environment variables.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string kubeconfig, string home, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var kubectl = ChildProcesses.Which("kubectl");
        if (kubectl is null)
        {
            if (Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_KUBECTL") == "1")
            {
                throw new InvalidOperationException("kubectl is not on PATH, and KUBESHARP_REQUIRE_KUBECTL=1 requires it");
            }

            throw new SkipException("kubectl is not on PATH");
        }

        var start = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.Environment["KUBECONFIG"] = kubeconfig;
        start.Environment["HOME"] = home;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
