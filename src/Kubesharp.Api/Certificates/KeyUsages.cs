using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kubesharp.Api.Certificates;

/// <summary>
/// The key usage strings of <c>certificates.k8s.io/v1</c> (<c>spec.usages</c>) and the X.509 key usages and
/// extended key usages they stand for (upstream's <c>keyUsagesFromStrings</c>).
/// </summary>
public static class KeyUsages
{
    public const string DigitalSignature = "digital signature";
    public const string KeyEncipherment = "key encipherment";
    public const string ClientAuth = "client auth";
    public const string ServerAuth = "server auth";

    private static readonly Dictionary<string, X509KeyUsageFlags> Basic = new(StringComparer.Ordinal)
    {
        ["signing"] = X509KeyUsageFlags.DigitalSignature,
        [DigitalSignature] = X509KeyUsageFlags.DigitalSignature,
        ["content commitment"] = X509KeyUsageFlags.NonRepudiation,
        [KeyEncipherment] = X509KeyUsageFlags.KeyEncipherment,
        ["key agreement"] = X509KeyUsageFlags.KeyAgreement,
        ["data encipherment"] = X509KeyUsageFlags.DataEncipherment,
        ["cert sign"] = X509KeyUsageFlags.KeyCertSign,
        ["crl sign"] = X509KeyUsageFlags.CrlSign,
        ["encipher only"] = X509KeyUsageFlags.EncipherOnly,
        ["decipher only"] = X509KeyUsageFlags.DecipherOnly,
    };

    // In the order of Go's x509.ExtKeyUsage constants, which upstream sorts the extension by.
    private static readonly (string Usage, string Oid)[] Extended =
    [
        ("any", "2.5.29.37.0"),
        (ServerAuth, "1.3.6.1.5.5.7.3.1"),
        (ClientAuth, "1.3.6.1.5.5.7.3.2"),
        ("code signing", "1.3.6.1.5.5.7.3.3"),
        ("email protection", "1.3.6.1.5.5.7.3.4"),
        ("s/mime", "1.3.6.1.5.5.7.3.4"),
        ("ipsec end system", "1.3.6.1.5.5.7.3.5"),
        ("ipsec tunnel", "1.3.6.1.5.5.7.3.6"),
        ("ipsec user", "1.3.6.1.5.5.7.3.7"),
        ("timestamping", "1.3.6.1.5.5.7.3.8"),
        ("ocsp signing", "1.3.6.1.5.5.7.3.9"),
        ("microsoft sgc", "1.3.6.1.4.1.311.10.3.3"),
        ("netscape sgc", "2.16.840.1.113730.4.1"),
    ];

    /// <summary>
    /// Maps usage strings to a key usage and the extended key usages (deduplicated, in upstream's order). False with
    /// <paramref name="error"/> (upstream's message) when a string is not a known usage.
    /// </summary>
    public static bool TryMap(IEnumerable<string> usages, out X509KeyUsageFlags keyUsage, out IReadOnlyList<Oid> extended, out string? error)
    {
        keyUsage = X509KeyUsageFlags.None;
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        var unrecognized = new List<string>();
        foreach (var usage in usages)
        {
            if (Basic.TryGetValue(usage, out var flag))
            {
                keyUsage |= flag;
            }
            else if (Array.FindIndex(Extended, e => e.Usage == usage) is var i and >= 0)
            {
                wanted.Add(Extended[i].Oid);
            }
            else
            {
                unrecognized.Add(usage);
            }
        }

        if (unrecognized.Count > 0)
        {
            keyUsage = X509KeyUsageFlags.None;
            extended = [];
            error = $"unrecognized usage values: [{string.Join(' ', unrecognized.Select(u => "\"" + u + "\""))}]";
            return false;
        }

        extended = [.. Extended.Select(e => e.Oid).Distinct(StringComparer.Ordinal).Where(wanted.Contains).Select(o => new Oid(o))];
        error = null;
        return true;
    }
}
