using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kubesharp.ApiServer.Auth.Authentication;
using Kubesharp.ApiServer.Pki;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

public sealed class X509AuthenticatorTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly List<string> _dirs = [];
    private readonly FakeTimeProvider _time = new(Start);
    private readonly ClusterPki _pki;
    private readonly X509Authenticator _authenticator;

    public X509AuthenticatorTests()
    {
        _pki = NewPki();
        _authenticator = new X509Authenticator(_pki.Ca, _time);
    }

    public void Dispose()
    {
        foreach (var dir in _dirs)
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private ClusterPki NewPki()
    {
        var dir = Directory.CreateTempSubdirectory("kubesharp-x509-").FullName;
        _dirs.Add(dir);
        return ClusterPki.LoadOrCreate(dir, ["localhost"], _time);
    }

    private ValueTask<AuthenticationResult> AuthenticateAsync(X509Certificate2? certificate) =>
        _authenticator.AuthenticateAsync(new AuthenticationRequest(certificate, null), CancellationToken.None);

    private static void AssertFailure(AuthenticationResult result, string expectedReason)
    {
        Assert.True(result.Outcome == AuthenticationOutcome.Failure, $"expected a failure ({expectedReason}), got {result.Outcome} as {result.User?.Name}");
        Assert.Contains(expectedReason, result.Reason, StringComparison.Ordinal);
    }

    /// <summary>A certificate signed by the cluster CA with whatever subject and extensions a test needs.</summary>
    private X509Certificate2 Craft(string subject, params X509Extension[] extensions)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        foreach (var extension in extensions)
        {
            request.CertificateExtensions.Add(extension);
        }

        return request.Create(_pki.Ca, Start.AddMinutes(-5), Start.AddDays(1), [0x01, 0x02]);
    }

    [Fact]
    public async Task A_client_certificate_from_the_cluster_ca_is_the_user_in_its_cn_and_groups_in_its_os()
    {
        var certificate = _pki.IssueClient("jane", ["developers", "system:masters"], TimeSpan.FromDays(1));

        var result = await AuthenticateAsync(certificate);

        Assert.Equal(AuthenticationOutcome.Success, result.Outcome);
        Assert.Equal("jane", result.User!.Name);
        Assert.Equal(["developers", "system:masters"], result.User.Groups);
        Assert.Null(result.User.Uid);
        var id = Assert.Single(result.User.Extra[ServiceAccountUser.CredentialIdKey]);
        Assert.Equal("X509SHA256=" + Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)), id);
    }

    [Fact]
    public async Task The_admin_certificate_is_system_admin_in_system_masters()
    {
        var result = await AuthenticateAsync(_pki.Admin);

        Assert.Equal("system:admin", result.User?.Name);
        Assert.Equal(["system:masters"], result.User!.Groups);
    }

    [Fact]
    public async Task A_certificate_from_another_ca_is_refused()
    {
        var stranger = NewPki().IssueClient("system:admin", ["system:masters"], TimeSpan.FromDays(1));

        AssertFailure(await AuthenticateAsync(stranger), "x509: certificate signed by unknown authority");
    }

    [Fact]
    public async Task A_self_signed_certificate_naming_our_ca_as_issuer_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=system:admin, O=system:masters", key, HashAlgorithmName.SHA256);
        var forged = request.Create(_pki.Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(key), Start.AddMinutes(-5), Start.AddDays(1), [0x05]);

        AssertFailure(await AuthenticateAsync(forged), "x509: certificate signed by unknown authority");
    }

    [Fact]
    public async Task An_expired_certificate_is_refused()
    {
        var certificate = _pki.IssueClient("jane", [], TimeSpan.FromHours(1));
        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        AssertFailure(await AuthenticateAsync(certificate), "x509: certificate has expired or is not yet valid: current time 2026-01-02T04:04:06Z is after 2026-01-02T04:04:05Z");
    }

    [Fact]
    public async Task A_certificate_not_yet_valid_is_refused()
    {
        var certificate = _pki.IssueClient("jane", [], TimeSpan.FromHours(1));
        var behind = new X509Authenticator(_pki.Ca, new FakeTimeProvider(Start.AddMinutes(-6)));

        var result = await behind.AuthenticateAsync(new AuthenticationRequest(certificate, null), CancellationToken.None);

        AssertFailure(result, "current time 2026-01-02T02:58:05Z is before 2026-01-02T02:59:05Z");
    }

    [Fact]
    public async Task A_server_only_certificate_is_not_a_client_certificate()
    {
        AssertFailure(await AuthenticateAsync(_pki.Serving), "x509: certificate specifies an incompatible key usage");
    }

    [Fact]
    public async Task A_certificate_without_an_eku_extension_is_good_for_client_auth()
    {
        var result = await AuthenticateAsync(Craft("CN=legacy-tool"));

        Assert.Equal(AuthenticationOutcome.Success, result.Outcome);
        Assert.Equal("legacy-tool", result.User!.Name);
        Assert.Empty(result.User.Groups);
    }

    [Fact]
    public async Task A_verified_certificate_without_a_common_name_is_not_applicable()
    {
        var result = await AuthenticateAsync(Craft("O=developers"));

        Assert.Equal(AuthenticationOutcome.NotApplicable, result.Outcome);
    }

    [Fact]
    public async Task No_certificate_is_not_applicable()
    {
        Assert.Equal(AuthenticationOutcome.NotApplicable, (await AuthenticateAsync(null)).Outcome);
    }
}
