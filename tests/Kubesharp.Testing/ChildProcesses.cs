using System.Diagnostics;
using System.Globalization;

namespace Kubesharp.Testing;

/// <summary>
/// Records the PID of every daemon a test starts in <c>$KUBESHARP_TEST_PIDDIR</c>, so that the test
/// script stops anything a crashed test host left behind, by PID.
/// </summary>
public static class ChildProcesses
{
    public static void Record(Process process, string name)
    {
        var dir = Environment.GetEnvironmentVariable("KUBESHARP_TEST_PIDDIR");
        if (string.IsNullOrEmpty(dir))
        {
            return;
        }

        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, $"{name}-{process.Id}.pid"), process.Id.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Kills a recorded child (SIGKILL, with its children), waits for it to exit, forgets and disposes it.</summary>
    public static async Task KillAsync(Process process, string name)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        await process.WaitForExitAsync();
        Forget(process.Id, name);
        process.Dispose();
    }

    public static void Forget(int pid, string name)
    {
        var dir = Environment.GetEnvironmentVariable("KUBESHARP_TEST_PIDDIR");
        if (!string.IsNullOrEmpty(dir))
        {
            File.Delete(Path.Combine(dir, $"{name}-{pid}.pid"));
        }
    }

    /// <summary>Finds an executable on PATH; null if it is not installed.</summary>
    public static string? Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
