using System.CommandLine;
using System.Globalization;
using Kubesharp.ApiServer.Pki;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp certificate rotate</c>: re-issues now every leaf certificate under <c>&lt;data-dir&gt;/tls</c> from the
/// cluster CA (<see cref="ClusterPki.RotateLeaves"/>), as k3s's <c>certificate rotate</c> does; the server uses them
/// from its next start. Without it, a server start renews the leaves that expire within 90 days.
/// </summary>
internal static class CertificateCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "The server's data directory (default /var/lib/kubesharp as root, else ~/.kubesharp).",
            DefaultValueFactory = _ => ServerCommand.DefaultDataDir(),
        };
        var rotate = new Command("rotate", "Re-issue the server's leaf certificates (serving, admin, components, kubelet client) from its CA now; the server uses them from its next start.")
        {
            dataDir,
        };
        rotate.SetAction(parse => Rotate(parse.GetValue(dataDir)!));
        return new Command("certificate", "Manage the cluster's certificates under <data-dir>/tls.") { rotate };
    }

    private static int Rotate(string dataDir)
    {
        IReadOnlyList<RotatedCertificate> rotated;
        try
        {
            rotated = ClusterPki.RotateLeaves(dataDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        foreach (var certificate in rotated)
        {
            Console.Out.WriteLine($"rotated: {certificate.Name} ({certificate.Subject}) valid until {certificate.NotAfter.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}");
        }

        Console.Out.WriteLine($"{rotated.Count.ToString(CultureInfo.InvariantCulture)} certificates rotated; restart the server to use them (it rewrites the kubeconfigs in {dataDir})");
        return 0;
    }
}
