using System.Diagnostics;
using System.Globalization;

namespace Kubesharp.Testing;

/// <summary>Memory and CPU of a process by PID, from <c>/proc</c> (Linux), for the benchmarks' figures.</summary>
public static class ProcessStats
{
    /// <summary>Resident set size now (VmRSS), in MB.</summary>
    public static double RssMegabytes(int pid) => StatusMegabytes(pid, "VmRSS:");

    /// <summary>The highest resident set size so far (VmHWM), in MB.</summary>
    public static double PeakRssMegabytes(int pid) => StatusMegabytes(pid, "VmHWM:");

    /// <summary>User and system CPU time used so far, in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static double StatusMegabytes(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
            }
        }

        return 0;
    }
}
