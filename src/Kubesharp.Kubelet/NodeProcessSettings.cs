using System.Collections;
using System.Runtime.InteropServices;

namespace Kubesharp.Kubelet;

/// <summary>
/// The .NET runtime settings of a node's long-lived process (<c>kubesharp agent</c>, <c>kubesharp kubelet</c>), which
/// must stay small beside the pods, where the server's process favours throughput. They are environment variables read
/// when the runtime starts, so the process re-executes itself (<c>execve</c>, same PID) with them once, before doing
/// anything. A variable the user set keeps its value; <c>KUBESHARP_NODE_SETTINGS=0</c> turns the whole thing off.
/// </summary>
public static partial class NodeProcessSettings
{
    /// <summary>Set in the re-executed process (so it does not do it again); <c>0</c> from the user disables it.</summary>
    public const string Marker = "KUBESHARP_NODE_SETTINGS";

    /// <summary>
    /// <list type="bullet">
    /// <item><c>DOTNET_gcConcurrent=0</c>: no background GC thread and its reserve; pauses are short on these heaps.</item>
    /// <item><c>DOTNET_GCgen0size</c>: a 4 MB gen0 budget (hex) instead of one sized from the CPU's cache (32 MB of L3
    /// on the project's machine), so that bursts of allocation (a hundred pods starting) do not grow the heap.</item>
    /// <item><c>DOTNET_TieredPGO=0</c>: no instrumented tier and its profile data.</item>
    /// <item><c>MALLOC_ARENA_MAX=1</c> (glibc, read at process start like the others): one malloc arena instead of up to
    /// eight per core for the runtime's and OpenSSL's native allocations; 7 MB less resident on an idle agent
    /// (136 -> 129 MB, docs/adr/0021). The native allocations are few and off the hot paths; two arenas saved nothing.</item>
    /// </list>
    /// W^X (<c>DOTNET_EnableWriteXorExecute=0</c>) is left on: turning it off moves the 35 MB of its shared-memory
    /// mapping to anonymous memory one for one (the mapping holds the JIT's code and stubs, it is not a double count),
    /// so the RSS stays the same.
    /// </summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> Settings =
    [
        new("DOTNET_gcConcurrent", "0"),
        new("DOTNET_GCgen0size", "400000"),
        new("DOTNET_TieredPGO", "0"),
        new("MALLOC_ARENA_MAX", "1"),
    ];

    /// <summary>
    /// The environment to re-execute with (<c>NAME=value</c> entries): <paramref name="current"/> plus every setting it
    /// does not have, plus the marker; null when there is nothing to do (the marker is already there, or the user set
    /// it to 0).
    /// </summary>
    public static IReadOnlyList<string>? Environment(IReadOnlyDictionary<string, string> current)
    {
        if (current.ContainsKey(Marker))
        {
            return null;
        }

        var entries = current.Select(kv => $"{kv.Key}={kv.Value}").ToList();
        entries.AddRange(Settings.Where(s => !current.ContainsKey(s.Key)).Select(s => $"{s.Key}={s.Value}"));
        entries.Add($"{Marker}=1");
        return entries;
    }

    /// <summary>
    /// The argument vector that runs this process again: the executable (the apphost, or <c>dotnet</c> and the entry
    /// assembly) and <paramref name="args"/>.
    /// </summary>
    public static IReadOnlyList<string> Arguments(string processPath, string? entryAssembly, IEnumerable<string> args)
    {
        var argv = new List<string> { processPath };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet" && entryAssembly is not null)
        {
            argv.Add(entryAssembly);
        }

        argv.AddRange(args);
        return argv;
    }

    /// <summary>The file name of the node's ahead-of-time compiled executable (src/Kubesharp.NodeHost, docs/adr/0023).</summary>
    public const string NodeExecutableName = "kubesharp-node";

    /// <summary>
    /// Set to <c>0</c> to keep a node's process in the JIT'd <c>kubesharp</c> even when <see cref="NodeExecutableName"/>
    /// sits beside it (to compare the two, or to rule the AOT build out).
    /// </summary>
    public const string NodeExecutableVariable = "KUBESHARP_NODE_EXECUTABLE";

    /// <summary>
    /// The ahead-of-time compiled node executable to run instead of this process: <see cref="NodeExecutableName"/> in
    /// <paramref name="directory"/> (this executable's), when it exists, this process is not it already and the user did
    /// not set <see cref="NodeExecutableVariable"/> to 0; else null.
    /// </summary>
    public static string? NodeExecutable(string processPath, string directory, IReadOnlyDictionary<string, string> environment)
    {
        if (Path.GetFileName(processPath) == NodeExecutableName
            || (environment.TryGetValue(NodeExecutableVariable, out var value) && value == "0"))
        {
            return null;
        }

        var candidate = Path.Combine(directory, NodeExecutableName);
        return File.Exists(candidate) ? candidate : null;
    }

    /// <summary>
    /// Re-executes the process with <see cref="Settings"/> unless they are in effect already or disabled, as
    /// <see cref="NodeExecutable"/> when there is one; returns only when it did not (the reason is in the result: null when nothing was to be done).
    /// </summary>
    public static string? Apply(IEnumerable<string> args)
    {
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            current[(string)entry.Key] = entry.Value as string ?? "";
        }

        if (Environment(current) is not { } environment || System.Environment.ProcessPath is not { } path)
        {
            return null;
        }

        // The node executable when it is there; else this one again (the first argument is the entry assembly's path
        // when the process is `dotnet kubesharp.dll`).
        if (NodeExecutable(path, AppContext.BaseDirectory, current) is { } node)
        {
            path = node;
        }

        var argv = Arguments(path, System.Environment.GetCommandLineArgs()[0], args);
        RemoveDiagnosticSockets(Path.GetTempPath(), System.Environment.ProcessId);
        _ = Execve(path, [.. argv, null], [.. environment, null]);
        return $"could not re-execute {path} with the node's runtime settings: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
    }

    /// <summary>
    /// Removes this process's diagnostic server sockets (<c>dotnet-diagnostic-PID-STARTTIME-socket</c> in the temporary
    /// directory). The re-executed runtime has the same PID and start time, so it finds that path taken and runs
    /// without a diagnostic server: <c>dotnet-counters</c>, <c>dotnet-trace</c> and <c>dotnet-dump</c> then get
    /// "connection refused". Removing the path lets it bind its own; the old listener goes away with the exec.
    /// </summary>
    internal static void RemoveDiagnosticSockets(string directory, int pid)
    {
        try
        {
            foreach (var socket in Directory.EnumerateFiles(directory, $"dotnet-diagnostic-{pid}-*-socket"))
            {
                File.Delete(socket);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only the diagnostic tools lose: the process itself runs the same.
        }
    }

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, string?[] argv, string?[] envp);
}
