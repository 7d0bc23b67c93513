using System.Text;
using k8s.Models;
using Kubesharp.ApiServer.Auth.Authentication;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

public sealed class BootstrapTokenAuthenticatorTests
{
    private const string Token = "abcdef.0123456789abcdef";
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly FakeAuthObjectReader _reader = new();
    private readonly BootstrapTokenAuthenticator _authenticator;

    public BootstrapTokenAuthenticatorTests() => _authenticator = new BootstrapTokenAuthenticator(_reader, _time);

    private ValueTask<AuthenticationResult> AuthenticateAsync(string? token) =>
        _authenticator.AuthenticateAsync(new AuthenticationRequest(null, token), CancellationToken.None);

    private static void AssertFailure(AuthenticationResult result, string expectedReason)
    {
        Assert.True(result.Outcome == AuthenticationOutcome.Failure, $"expected a failure ({expectedReason}), got {result.Outcome} as {result.User?.Name}");
        Assert.Contains(expectedReason, result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789abcdef", result.Reason, StringComparison.Ordinal);
    }

    private V1Secret Put(DateTimeOffset? expiration = null, IEnumerable<string>? groups = null)
    {
        var secret = BootstrapTokens.CreateSecret(Token, expiration, groups);
        _reader.Put(secret);
        return secret;
    }

    [Fact]
    public async Task A_token_with_its_secret_is_the_bootstrap_user()
    {
        Put(Start.AddHours(24), [BootstrapTokens.DefaultNodeTokenGroup]);

        var result = await AuthenticateAsync(Token);

        Assert.Equal(AuthenticationOutcome.Success, result.Outcome);
        Assert.Equal("system:bootstrap:abcdef", result.User!.Name);
        Assert.Equal(["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"], result.User.Groups);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        Put(Start.AddHours(1));
        _time.Advance(TimeSpan.FromHours(1));

        AssertFailure(await AuthenticateAsync(Token), "has expired at 2026-01-02T04:04:05Z");
    }

    [Fact]
    public async Task A_token_whose_secret_is_missing_is_refused()
    {
        AssertFailure(await AuthenticateAsync(Token), "no secret kube-system/bootstrap-token-abcdef");
    }

    [Fact]
    public async Task A_token_whose_secret_differs_is_refused()
    {
        Put();

        AssertFailure(await AuthenticateAsync("abcdef.fedcba9876543210"), "has invalid value for key token-secret");
    }

    [Theory]
    [InlineData("no dot", "abcdef0123456789abcdef")]
    [InlineData("upper case", "ABCDEF.0123456789abcdef")]
    [InlineData("a short secret", "abcdef.0123456789abcde")]
    [InlineData("a long id", "abcdefg.0123456789abcdef")]
    [InlineData("a trailing newline", "abcdef.0123456789abcdef\n")]
    [InlineData("a JWT", "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln")]
    public async Task A_malformed_token_is_not_a_bootstrap_token(string name, string token)
    {
        Put();

        var result = await AuthenticateAsync(token);

        Assert.True(result.Outcome == AuthenticationOutcome.NotApplicable, $"{name}: {result.Outcome}");
    }

    [Theory]
    [InlineData("another type", "type", "Opaque", "has invalid type")]
    [InlineData("another id inside", "token-id", "zzzzzz", "has invalid value for key token-id")]
    [InlineData("not for authentication", "usage-bootstrap-authentication", "false", "not marked usage-bootstrap-authentication=true")]
    [InlineData("an unreadable expiration", "expiration", "tomorrow", "has an invalid expiration tomorrow (treated as expired)")]
    [InlineData("an extra group outside system:bootstrappers:", "auth-extra-groups", "system:bootstrappers:ok,system:masters", "bootstrap group \"system:masters\" is invalid")]
    public async Task A_secret_that_does_not_allow_authentication_refuses_the_token(string name, string key, string value, string expected)
    {
        var secret = Put();
        if (key == "type")
        {
            secret.Type = value;
        }
        else
        {
            secret.Data[key] = Encoding.UTF8.GetBytes(value);
        }

        var result = await AuthenticateAsync(Token);

        Assert.True(result.Outcome == AuthenticationOutcome.Failure, $"{name}: {result.Outcome}");
        Assert.Contains(expected, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_being_deleted_refuses_the_token()
    {
        Put().Metadata.DeletionTimestamp = Start.UtcDateTime;

        AssertFailure(await AuthenticateAsync(Token), "is deleted and awaiting removal");
    }

    [Fact]
    public void Generated_tokens_have_the_bootstrap_shape_and_their_secret_holds_them()
    {
        var token = BootstrapTokens.Generate(new Random(42));
        var again = BootstrapTokens.Generate(new Random(42));
        var random = BootstrapTokens.Generate();

        Assert.Equal(token, again);
        Assert.True(BootstrapTokens.TryParse(token, out var id, out var secret), token);
        Assert.True(BootstrapTokens.TryParse(random, out _, out _), random);
        Assert.NotEqual(token, random);

        var stored = BootstrapTokens.CreateSecret(token, Start.AddHours(24), [BootstrapTokens.DefaultNodeTokenGroup], "kubesharp node join token");
        Assert.Equal(("bootstrap-token-" + id, "kube-system", "bootstrap.kubernetes.io/token"), (stored.Metadata.Name, stored.Metadata.NamespaceProperty, stored.Type));
        var data = stored.Data.ToDictionary(d => d.Key, d => Encoding.UTF8.GetString(d.Value));
        Assert.Equal(id, data["token-id"]);
        Assert.Equal(secret, data["token-secret"]);
        Assert.Equal("true", data["usage-bootstrap-authentication"]);
        Assert.Equal("true", data["usage-bootstrap-signing"]);
        Assert.Equal("2026-01-03T03:04:05Z", data["expiration"]);
        Assert.Equal("system:bootstrappers:kubeadm:default-node-token", data["auth-extra-groups"]);
        Assert.Equal("kubesharp node join token", data["description"]);
    }
}
