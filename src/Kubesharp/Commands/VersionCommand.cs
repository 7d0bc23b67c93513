using System.CommandLine;
using System.Reflection;

namespace Kubesharp.Commands;

internal static class VersionCommand
{
    /// <summary>The product version, as <c>--version</c> and <c>kubesharp version</c> print it.</summary>
    public static string Version =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static Command Create()
    {
        var command = new Command("version", "Print the version of kubesharp.");
        command.SetAction(_ => Console.Out.WriteLine($"kubesharp v{Version}"));
        return command;
    }
}
