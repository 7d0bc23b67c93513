using System.Diagnostics;
using System.Text;

namespace Kubesharp.Testing.Runtime;

/// <summary>
/// The machine's container runtime for tests that need real containers: a private containerd with the pause and
/// busybox images, and the local registry, brought up by <c>scripts/runtime.sh up</c> once per test process (and
/// left running: <c>scripts/test.sh</c> or <c>make runtime-down</c> stops it). A file lock keeps two test
/// processes from running <c>up</c> at the same time; the second one's <c>up</c> then finds everything running.
/// <para>
/// Use: <c>var runtime = ContainerRuntimeEnvironment.Get(); Skip.IfNot(runtime.Available, runtime.SkipReason);</c>.
/// When <c>KUBESHARP_REQUIRE_RUNTIME=1</c> (set by <c>scripts/test.sh</c> once <c>up</c> succeeded), an unavailable
/// runtime makes <see cref="Get"/> throw: the test fails instead of being skipped. Thread-safe.
/// </para>
/// </summary>
public sealed class ContainerRuntimeEnvironment
{
    public const string RequireVariable = "KUBESHARP_REQUIRE_RUNTIME";
    public const string DefaultRuntimeDir = "/run/kubesharp/containerd";
    public const string Registry = "127.0.0.1:5000";
    public const string PauseImage = Registry + "/library/pause:3.10";
    public const string BusyboxImage = Registry + "/library/busybox:1.35";

    // Building out/kubesharp (make build) on a busy 2-core machine is the slow case of `up`.
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly Lazy<ContainerRuntimeEnvironment> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private ContainerRuntimeEnvironment(string runtimeDir, string? skipReason)
    {
        RuntimeDir = runtimeDir;
        SkipReason = skipReason;
    }

    /// <summary>This instance's directory (<c>$KUBESHARP_RUNTIME_DIR</c>, default <see cref="DefaultRuntimeDir"/>).</summary>
    public string RuntimeDir { get; }

    /// <summary>containerd's socket: the CRI (runtime.v1) and containerd's own API.</summary>
    public string Socket => Path.Combine(RuntimeDir, "containerd.sock");

    /// <summary>The CNI configuration directory the CRI reads: <c>&lt;directory of the socket&gt;/net.d</c>.</summary>
    public string CniConfDir => Path.Combine(RuntimeDir, "net.d");

    public bool Available => SkipReason is null;

    /// <summary>Why the runtime is unavailable; null when it is available.</summary>
    public string? SkipReason { get; }

    /// <summary>
    /// The runtime, brought up on first use. Throws <see cref="InvalidOperationException"/> when it is unavailable
    /// and <c>KUBESHARP_REQUIRE_RUNTIME=1</c>; otherwise the caller skips on <see cref="Available"/>.
    /// </summary>
    public static ContainerRuntimeEnvironment Get()
    {
        var runtime = Shared.Value;
        if (!runtime.Available && Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            throw new InvalidOperationException($"{RequireVariable}=1 but the container runtime is unavailable: {runtime.SkipReason}");
        }

        return runtime;
    }

    /// <summary>Runs <c>ctr --address SOCKET -n NAMESPACE ARGS</c> with a bound on its duration.</summary>
    public Task<CommandResult> CtrAsync(string ns, params string[] args) =>
        CommandResult.RunAsync("ctr", ["--address", Socket, "-n", ns, .. args], CommandTimeout);

    private static ContainerRuntimeEnvironment Start()
    {
        var runtimeDir = Environment.GetEnvironmentVariable("KUBESHARP_RUNTIME_DIR") is { Length: > 0 } dir ? dir : DefaultRuntimeDir;
        if (Environment.UserName != "root")
        {
            return new ContainerRuntimeEnvironment(runtimeDir, "the container runtime needs root (containerd, mounts, iptables)");
        }

        var root = FindRepositoryRoot();
        if (root is null)
        {
            return new ContainerRuntimeEnvironment(runtimeDir, $"no Kubesharp.slnx above {AppContext.BaseDirectory}: cannot find scripts/runtime.sh");
        }

        var result = RunUp(root, runtimeDir);
        return result.ExitCode == 0
            ? new ContainerRuntimeEnvironment(runtimeDir, null)
            : new ContainerRuntimeEnvironment(runtimeDir, $"scripts/runtime.sh up failed ({result.Describe()})");
    }

    /// <summary>
    /// Kills containerd by its PID (<c>kill -9</c>, as a crash would: the pods' shims and containers keep running), for
    /// tests of a runtime that goes away; <see cref="RestartAsync"/> brings it back.
    /// </summary>
    public void KillContainerd()
    {
        var pid = int.Parse(File.ReadAllText(Path.Combine(RuntimeDir, "containerd.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill();
        process.WaitForExit(10_000);
    }

    /// <summary>Runs <c>scripts/runtime.sh up</c> again: starts whatever is not running (containerd after <see cref="KillContainerd"/>).</summary>
    public Task<CommandResult> RestartAsync() =>
        Task.Run(() => RunUp(FindRepositoryRoot() ?? throw new InvalidOperationException("no repository root"), RuntimeDir));

    private static CommandResult RunUp(string root, string runtimeDir)
    {
        var info = new ProcessStartInfo(Path.Combine(root, "scripts", "runtime.sh"), ["up"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        info.Environment["KUBESHARP_RUNTIME_DIR"] = runtimeDir;
        // A test project that references the kubesharp binary has it beside its assembly: no need to build out/.
        var besideTests = Path.Combine(AppContext.BaseDirectory, "kubesharp");
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBESHARP_BIN")) && File.Exists(besideTests))
        {
            info.Environment["KUBESHARP_BIN"] = besideTests;
        }

        using var held = AcquireLock();
        return CommandResult.Run(info, UpTimeout);
    }

    // An exclusive lock on a file (flock under .NET on Linux), released when the process exits, even by a crash.
    private static FileStream AcquireLock()
    {
        Directory.CreateDirectory("/run/kubesharp");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream("/run/kubesharp/tests-up.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (deadline.Elapsed < UpTimeout)
            {
                Thread.Sleep(200);
            }
        }
    }

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kubesharp.slnx")) && File.Exists(Path.Combine(dir.FullName, "scripts", "runtime.sh")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>The outcome of a command run to completion (or killed at its time bound: exit code -1).</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The exit code and the end of the output, for an assertion message.</summary>
    public string Describe()
    {
        var output = (Stdout + Stderr).Trim();
        return $"exit {ExitCode}: {(output.Length > 2000 ? "..." + output[^2000..] : output)}";
    }

    public static Task<CommandResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout) =>
        Task.Run(() => Run(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false }, timeout));

    /// <summary>Runs <paramref name="info"/> (whose output must be redirected); kills it by PID after <paramref name="timeout"/>.</summary>
    public static CommandResult Run(ProcessStartInfo info, TimeSpan timeout)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandResult(-1, "", $"{info.FileName}: {e.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new CommandResult(-1, Text(stdout), Text(stderr) + $"\n(killed after {timeout.TotalSeconds} s)");
        }

        // The parameterless wait drains the asynchronous readers.
        process.WaitForExit();
        return new CommandResult(process.ExitCode, Text(stdout), Text(stderr));
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (builder)
        {
            builder.AppendLine(line);
        }
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }
}
