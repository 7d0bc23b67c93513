using System.Security.Cryptography;
using System.Text.Json;
using Kubesharp.Api.Auth;
using Kubesharp.ApiServer.Auth.Authentication;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

public sealed class ServiceAccountKeysTests : IDisposable
{
    // Upstream's pkg/serviceaccount/jwt_test.go: its test public key and the key id keyIDFromPublicKey gives it.
    private const string UpstreamTestPublicKey = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA249XwEo9k4tM8fMxV7zx
        OhcrP+WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt+ecI
        zshKuv1gKIxbbLQMOuK1eA/4HALyEkFgmS/tleLJrhc65tKPMGD+pKQ/xhmzRuCG
        51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJU
        j7OTh/AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv+OrN80j6xrw0OjEi
        B4Ycr0PqfzZcvy8efTtFQ/Jnc4Bp1zUtFXt7+QeevePtQ2EcyELXE0i63T1CujRM
        WwIDAQAB
        -----END PUBLIC KEY-----
        """;

    private readonly string _dataDir = Directory.CreateTempSubdirectory("kubesharp-sa-keys-").FullName;

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    [Fact]
    public void Key_id_is_upstreams_sha256_of_the_der_public_key()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(UpstreamTestPublicKey);
        using var keys = ServiceAccountKeys.FromKey(rsa);

        Assert.Equal("JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU", keys.KeyId);
    }

    [Fact]
    public void The_key_is_created_once_as_private_pkcs8_pem_and_reused()
    {
        string firstKid;
        using (var first = ServiceAccountKeys.LoadOrCreate(_dataDir))
        {
            firstKid = first.KeyId;
        }

        var path = Path.Combine(_dataDir, "tls", "service-account.key");
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        using var second = ServiceAccountKeys.LoadOrCreate(_dataDir);
        Assert.Equal(firstKid, second.KeyId);
        var data = "payload"u8.ToArray();
        Assert.True(second.Verify(data, second.Sign(data)), "the reloaded key verifies its own signature");
    }

    [Fact]
    public void A_key_shorter_than_2048_bits_is_refused()
    {
        Assert.Throws<ArgumentException>(() => ServiceAccountKeys.FromKey(RSA.Create(1024)));
    }

    [Fact]
    public void Discovery_documents_name_the_issuer_and_publish_the_key_as_a_jwk()
    {
        var discovery = new ServiceAccountIssuerDiscovery(TestKeys.Primary, "https://kubernetes.default.svc.cluster.local", ServiceAccountIssuerDiscovery.DefaultJwksUri("10.0.0.1:6443"));

        Assert.Equal(
            """{"issuer":"https://kubernetes.default.svc.cluster.local","jwks_uri":"https://10.0.0.1:6443/openid/v1/jwks","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}""",
            System.Text.Encoding.UTF8.GetString(discovery.OpenIdConfiguration));

        using var jwks = JsonDocument.Parse(discovery.Jwks);
        var key = Assert.Single(jwks.RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal(["use", "kty", "kid", "alg", "n", "e"], key.EnumerateObject().Select(p => p.Name));
        Assert.Equal("sig", key.GetProperty("use").GetString());
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
        Assert.Equal(TestKeys.Primary.KeyId, key.GetProperty("kid").GetString());
        Assert.Equal("RS256", key.GetProperty("alg").GetString());
        Assert.Equal("AQAB", key.GetProperty("e").GetString());

        // The published modulus and exponent verify what the key signs: a relying party can check tokens with them.
        using var published = RSA.Create(new RSAParameters
        {
            Modulus = System.Buffers.Text.Base64Url.DecodeFromChars(key.GetProperty("n").GetString()),
            Exponent = System.Buffers.Text.Base64Url.DecodeFromChars(key.GetProperty("e").GetString()),
        });
        var data = "x"u8.ToArray();
        Assert.True(published.VerifyData(data, TestKeys.Primary.Sign(data), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }
}
