using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Auth.Authentication;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

public sealed class AuthenticatorChainTests
{
    private static readonly AuthenticationRequest WithToken = new(null, "some-token");

    /// <summary>Answers a fixed result and records that it was asked.</summary>
    private sealed class Scripted(string name, AuthenticationResult result, List<string> log) : IAuthenticator
    {
        public ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
        {
            log.Add(name);
            return ValueTask.FromResult(result);
        }
    }

    private static AuthenticationResult As(string name, params string[] groups) => AuthenticationResult.Success(UserInfo.Create(name, groups), ["aud"]);

    [Fact]
    public async Task The_first_success_wins_and_later_authenticators_are_not_asked()
    {
        var log = new List<string>();
        var chain = new AuthenticatorChain([
            new Scripted("x509", AuthenticationResult.NotApplicable, log),
            new Scripted("token-file", As("alice", "dev"), log),
            new Scripted("service-account", As("mallory"), log),
        ]);

        var result = await chain.AuthenticateAsync(WithToken, CancellationToken.None);

        Assert.Equal("alice", result.User!.Name);
        Assert.Equal(["dev", "system:authenticated"], result.User.Groups);
        Assert.Equal(["aud"], result.Audiences);
        Assert.Equal(["x509", "token-file"], log);
    }

    [Fact]
    public async Task A_failure_does_not_hide_a_later_success()
    {
        var log = new List<string>();
        var chain = new AuthenticatorChain([
            new Scripted("x509", AuthenticationResult.Failure("x509: certificate signed by unknown authority"), log),
            new Scripted("token-file", As("alice"), log),
        ]);

        var result = await chain.AuthenticateAsync(WithToken, CancellationToken.None);

        Assert.Equal(AuthenticationOutcome.Success, result.Outcome);
        Assert.Equal("alice", result.User!.Name);
    }

    [Fact]
    public async Task Failures_without_a_success_are_one_aggregated_failure()
    {
        var log = new List<string>();
        var chain = new AuthenticatorChain([
            new Scripted("x509", AuthenticationResult.Failure("bad certificate"), log),
            new Scripted("service-account", AuthenticationResult.Failure("service account token has expired"), log),
            new Scripted("bootstrap", AuthenticationResult.NotApplicable, log),
        ]);

        var result = await chain.AuthenticateAsync(WithToken, CancellationToken.None);

        Assert.Equal(AuthenticationOutcome.Failure, result.Outcome);
        Assert.Null(result.User);
        Assert.Equal("[bad certificate, service account token has expired]", result.Reason);
        Assert.Equal(["x509", "service-account", "bootstrap"], log);
    }

    [Fact]
    public async Task A_bearer_token_nobody_takes_is_an_invalid_bearer_token_not_anonymous()
    {
        var chain = new AuthenticatorChain([new Scripted("token-file", AuthenticationResult.NotApplicable, [])]);

        var result = await chain.AuthenticateAsync(WithToken, CancellationToken.None);

        Assert.Equal(AuthenticationOutcome.Failure, result.Outcome);
        Assert.Equal("invalid bearer token", result.Reason);
    }

    [Fact]
    public async Task No_credentials_at_all_is_not_applicable_and_anonymous_is_the_callers_step()
    {
        var chain = new AuthenticatorChain([new Scripted("x509", AuthenticationResult.NotApplicable, [])]);

        var result = await chain.AuthenticateAsync(new AuthenticationRequest(null, null), CancellationToken.None);
        var anonymous = await AnonymousAuthenticator.Instance.AuthenticateAsync(new AuthenticationRequest(null, null), CancellationToken.None);

        Assert.Equal(AuthenticationOutcome.NotApplicable, result.Outcome);
        Assert.Equal("system:anonymous", anonymous.User!.Name);
        Assert.Equal(["system:unauthenticated"], anonymous.User.Groups);
    }

    [Theory]
    [InlineData("already authenticated", "alice", new[] { "system:authenticated", "dev" }, new[] { "system:authenticated", "dev" })]
    [InlineData("explicitly unauthenticated", "guest", new[] { "system:unauthenticated" }, new[] { "system:unauthenticated" })]
    [InlineData("the anonymous user", "system:anonymous", new string[0], new string[0])]
    public async Task The_authenticated_group_is_added_only_as_upstream_does(string name, string user, string[] groups, string[] expected)
    {
        var chain = new AuthenticatorChain([new Scripted("any", As(user, groups), [])]);

        var result = await chain.AuthenticateAsync(WithToken, CancellationToken.None);

        Assert.True(expected.SequenceEqual(result.User!.Groups), $"{name}: {string.Join(",", result.User.Groups)}");
    }

    [Fact]
    public async Task Real_authenticators_in_upstreams_order()
    {
        var f = new ServiceAccountFixture();
        var tokens = StaticTokenAuthenticator.Parse(new StringReader("static-token,alice,1001,dev\nabcdef.0123456789abcdef,file-user,2\n"), "tokens.csv");
        var chain = new AuthenticatorChain([tokens, f.Authenticator, new BootstrapTokenAuthenticator(f.Reader, f.Time)]);
        f.Reader.Put(BootstrapTokens.CreateSecret("zyxwvu.0123456789abcdef"));

        async Task<AuthenticationResult> As(string token) => await chain.AuthenticateAsync(new AuthenticationRequest(null, token), CancellationToken.None);

        Assert.Equal(["dev", "system:authenticated"], (await As("static-token")).User!.Groups);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"], (await As(f.PodToken())).User!.Groups);
        Assert.Equal("system:bootstrap:zyxwvu", (await As("zyxwvu.0123456789abcdef")).User!.Name);
        // Shaped like a bootstrap token but listed in the token file: the file, asked first, owns it.
        Assert.Equal("file-user", (await As("abcdef.0123456789abcdef")).User!.Name);

        var malformed = await As("not-a-bootstrap-token");
        Assert.Equal(AuthenticationOutcome.Failure, malformed.Outcome);
        Assert.Equal("invalid bearer token", malformed.Reason);

        var shortLived = f.PodToken(600);
        f.Time.Advance(TimeSpan.FromHours(1));
        var expired = await As(shortLived);
        Assert.Equal(AuthenticationOutcome.Failure, expired.Outcome);
        Assert.Equal("service account token has expired", expired.Reason);
    }
}
