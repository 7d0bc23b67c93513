using System.Globalization;

namespace Kubesharp.Bench.Controllers;

internal static class ProcessStats
{
    public static double RssMegabytes(int pid) => StatusMegabytes(pid, "VmRSS:");

    public static double PeakRssMegabytes(int pid) => StatusMegabytes(pid, "VmHWM:");

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
