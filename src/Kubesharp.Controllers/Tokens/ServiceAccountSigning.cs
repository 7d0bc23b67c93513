using Kubesharp.Api.Auth;

namespace Kubesharp.Controllers.Tokens;

/// <summary>
/// What the tokens controller signs and publishes with: the service account signing key (upstream's
/// <c>--service-account-private-key-file</c>, the same key the API server verifies with) and the root CA bundle
/// it writes into every token secret as <c>ca.crt</c> (upstream's <c>--root-ca-file</c>). Immutable, thread-safe.
/// </summary>
public sealed class ServiceAccountSigning
{
    /// <param name="rootCa">PEM bytes; empty for none (then secrets get no <c>ca.crt</c>, as upstream without a root CA).</param>
    public ServiceAccountSigning(ServiceAccountKeys keys, ReadOnlyMemory<byte> rootCa)
    {
        Keys = keys;
        RootCa = rootCa;
        // Legacy tokens carry no time claims, so the issuer's clock is never read for them.
        Issuer = new ServiceAccountTokenIssuer(keys, TimeProvider.System);
    }

    public ServiceAccountKeys Keys { get; }

    public ReadOnlyMemory<byte> RootCa { get; }

    internal ServiceAccountTokenIssuer Issuer { get; }

    /// <summary>
    /// Reads the RSA private key (PEM) and, when given, the root CA bundle (PEM). Throws when a file is missing or
    /// the key is not an RSA key of at least 2048 bits: a misconfigured controller manager should not start.
    /// </summary>
    public static ServiceAccountSigning Load(string privateKeyFile, string? rootCaFile) =>
        new(ServiceAccountKeys.Load(privateKeyFile), rootCaFile is null ? ReadOnlyMemory<byte>.Empty : File.ReadAllBytes(rootCaFile));
}
