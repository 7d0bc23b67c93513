using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace Kubesharp.Api.Auth;

/// <summary>
/// The key that signs and verifies service account tokens: RSA-2048 in <c>&lt;data-dir&gt;/tls/service-account.key</c>
/// (PKCS#8 PEM, mode 0600), created on the first start and reused afterwards, so tokens survive restarts.
/// Its key id is upstream's <c>keyIDFromPublicKey</c>: base64url of the SHA-256 of the DER public key
/// (SubjectPublicKeyInfo), so a token's <c>kid</c> and the JWKS document agree with what clients expect.
/// Sign and Verify are safe to call concurrently. Shared by the API server (which signs TokenRequest tokens and
/// verifies every token) and the controller manager's tokens controller (which signs legacy secret tokens).
/// </summary>
public sealed class ServiceAccountKeys : IDisposable
{
    public const string FileName = "service-account.key";

    private readonly RSA _key;
    private readonly Lock _signing = new();

    private ServiceAccountKeys(RSA key)
    {
        if (key.KeySize < 2048)
        {
            throw new ArgumentException($"a service account key must have at least 2048 bits, this one has {key.KeySize}", nameof(key));
        }

        _key = key;
        PublicKeyDer = key.ExportSubjectPublicKeyInfo();
        KeyId = Base64Url.EncodeToString(SHA256.HashData(PublicKeyDer));
    }

    public string KeyId { get; }

    /// <summary>The public key as DER SubjectPublicKeyInfo (Go's <c>x509.MarshalPKIXPublicKey</c>).</summary>
    public byte[] PublicKeyDer { get; }

    /// <summary>Loads <c>&lt;data-dir&gt;/tls/service-account.key</c>, creating it first when it does not exist. Throws when it exists but is not an RSA key.</summary>
    public static ServiceAccountKeys LoadOrCreate(string dataDir)
    {
        var dir = Path.Combine(dataDir, "tls");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, FileName);
        if (File.Exists(path))
        {
            return Load(path);
        }

        var key = RSA.Create();
        key.KeySize = 2048;
        var tmp = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var writer = new StreamWriter(tmp, options))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }

        // A tmp file left by an earlier crash keeps its old mode: make sure of 0600 before it becomes the key.
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: false);
        return new ServiceAccountKeys(key);
    }

    /// <summary>
    /// Loads an RSA private key from a PEM file (PKCS#1 <c>RSA PRIVATE KEY</c> or PKCS#8 <c>PRIVATE KEY</c>), as upstream's
    /// <c>--service-account-private-key-file</c>. Throws when the file is missing or holds no usable RSA key of 2048 bits or more.
    /// </summary>
    public static ServiceAccountKeys Load(string path)
    {
        var key = RSA.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            return new ServiceAccountKeys(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an existing key (takes ownership). For tests and for keys that do not live in the data directory.</summary>
    public static ServiceAccountKeys FromKey(RSA key) => new(key);

    public byte[] Sign(byte[] data)
    {
        // Signing is rare (TokenRequest, the tokens controller); serialise it rather than rely on the provider.
        lock (_signing)
        {
            return _key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    }

    /// <summary>
    /// RS256 verification. Not locked: it is on every request's path, and with OpenSSL each verification
    /// makes its own context over the immutable public key.
    /// </summary>
    public bool Verify(byte[] data, byte[] signature) => _key.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <summary>Writes the public key as a JWK: <c>{"use":"sig","kty":"RSA","kid":...,"alg":"RS256","n":...,"e":...}</c>, go-jose's field order.</summary>
    public void WriteJwk(Utf8JsonWriter writer)
    {
        var parameters = _key.ExportParameters(includePrivateParameters: false);
        writer.WriteStartObject();
        writer.WriteString("use", "sig");
        writer.WriteString("kty", "RSA");
        writer.WriteString("kid", KeyId);
        writer.WriteString("alg", CompactJws.Rs256);
        writer.WriteString("n", Base64Url.EncodeToString(parameters.Modulus));
        writer.WriteString("e", Base64Url.EncodeToString(parameters.Exponent));
        writer.WriteEndObject();
    }

    public void Dispose() => _key.Dispose();
}
