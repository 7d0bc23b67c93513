using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Kubesharp.Api.Auth;
using Kubesharp.ApiServer.Auth.Authentication;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

public sealed class ServiceAccountTokenAuthenticatorTests
{
    private readonly ServiceAccountFixture _f = new();

    private static void AssertFailure(AuthenticationResult result, string expectedReason)
    {
        Assert.True(result.Outcome == AuthenticationOutcome.Failure, $"expected a failure ({expectedReason}), got {result.Outcome} as {result.User?.Name}");
        Assert.Null(result.User);
        Assert.Contains(expectedReason, result.Reason, StringComparison.Ordinal);
    }

    private static string ReplacePayload(string token, Func<string, string> edit)
    {
        var parts = token.Split('.');
        return parts[0] + "." + TestKeys.Encode(edit(TestKeys.Decode(parts[1]))) + "." + parts[2];
    }

    [Fact]
    public async Task A_pod_bound_token_authenticates_as_its_service_account_with_upstreams_extras()
    {
        var result = await _f.AuthenticateAsync(_f.PodToken());

        Assert.Equal(AuthenticationOutcome.Success, result.Outcome);
        var user = result.User!;
        Assert.Equal("system:serviceaccount:ci:builder", user.Name);
        Assert.Equal("sa-uid-1", user.Uid);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:ci"], user.Groups);
        Assert.Equal(["runner"], user.Extra[ServiceAccountUser.PodNameKey]);
        Assert.Equal(["pod-uid-1"], user.Extra[ServiceAccountUser.PodUidKey]);
        Assert.Equal(["node-a"], user.Extra[ServiceAccountUser.NodeNameKey]);
        Assert.Equal(["node-uid-1"], user.Extra[ServiceAccountUser.NodeUidKey]);
        Assert.Equal(["JTI=6f2a5c1e-9d7b-4e3f-8a21-0c4b5d6e7f80"], user.Extra["authentication.kubernetes.io/credential-id"]);
        Assert.Equal(5, user.Extra.Count);
        Assert.Equal([ServiceAccountFixture.Issuer], result.Audiences);
    }

    [Fact]
    public async Task An_expired_token_is_refused_after_upstreams_60_second_leeway()
    {
        var token = _f.PodToken(expirationSeconds: 600);

        _f.Time.Advance(TimeSpan.FromSeconds(600 + 59));
        Assert.Equal(AuthenticationOutcome.Success, (await _f.AuthenticateAsync(token)).Outcome);

        _f.Time.Advance(TimeSpan.FromSeconds(2));
        AssertFailure(await _f.AuthenticateAsync(token), "service account token has expired");
    }

    [Fact]
    public async Task A_token_from_the_future_is_not_valid_yet()
    {
        // An issuer whose clock runs two minutes ahead of the authenticator's: past the 60 s leeway.
        var ahead = new ServiceAccountTokenIssuer(TestKeys.Primary, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(ServiceAccountFixture.Start.AddMinutes(2)));
        var token = ahead.IssueBound(new BoundTokenRequest(_f.Account, [ServiceAccountFixture.Issuer], Pod: _f.Pod)).Token;

        AssertFailure(await _f.AuthenticateAsync(token), "service account token is not valid yet");
    }

    [Fact]
    public async Task A_token_of_a_deleted_service_account_is_refused()
    {
        var token = _f.PodToken();
        _f.Reader.Remove("ServiceAccount", "ci", "builder");

        AssertFailure(await _f.AuthenticateAsync(token), "serviceaccounts \"builder\" not found");
    }

    [Fact]
    public async Task A_token_of_a_service_account_recreated_with_the_same_name_is_refused()
    {
        var token = _f.PodToken();
        _f.Reader.Put(ServiceAccountFixture.Clone(_f.Account, "sa-uid-2"));

        AssertFailure(await _f.AuthenticateAsync(token), "service account UID (sa-uid-2) does not match claim (sa-uid-1)");
    }

    [Fact]
    public async Task A_token_of_a_deleted_pod_is_refused()
    {
        var token = _f.PodToken();
        _f.Reader.Remove("Pod", "ci", "runner");

        AssertFailure(await _f.AuthenticateAsync(token), "service account token has been invalidated: bound pod ci/runner not found");
    }

    [Fact]
    public async Task A_token_of_a_pod_recreated_with_the_same_name_but_a_new_uid_is_refused()
    {
        var token = _f.PodToken();
        _f.Reader.Put(new V1Pod { Metadata = new V1ObjectMeta { Name = "runner", NamespaceProperty = "ci", Uid = "pod-uid-2" } });

        AssertFailure(await _f.AuthenticateAsync(token), "pod UID (pod-uid-2) does not match service account pod ref claim (pod-uid-1)");
    }

    [Fact]
    public async Task A_token_of_a_terminating_pod_works_for_the_leeway_then_is_refused()
    {
        var token = _f.PodToken();
        _f.Pod.Metadata.DeletionTimestamp = ServiceAccountFixture.Start.UtcDateTime;

        _f.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(AuthenticationOutcome.Success, (await _f.AuthenticateAsync(token)).Outcome);

        _f.Time.Advance(TimeSpan.FromSeconds(2));
        AssertFailure(await _f.AuthenticateAsync(token), "bound pod ci/runner is being deleted");
    }

    [Fact]
    public async Task A_token_signed_by_another_key_is_refused()
    {
        var attacker = new ServiceAccountTokenIssuer(TestKeys.AttackerKeys, _f.Time, ServiceAccountFixture.Issuer);
        var token = attacker.IssueBound(new BoundTokenRequest(_f.Account, [ServiceAccountFixture.Issuer], Pod: _f.Pod)).Token;

        AssertFailure(await _f.AuthenticateAsync(token), "invalid signature, no keys found");
    }

    [Fact]
    public async Task A_token_signed_by_another_key_claiming_our_key_id_is_refused()
    {
        var payload = TestKeys.Decode(_f.PodToken().Split('.')[1]);
        var token = TestKeys.Forge($$"""{"alg":"RS256","kid":"{{TestKeys.Primary.KeyId}}"}""", payload, TestKeys.Attacker);

        AssertFailure(await _f.AuthenticateAsync(token), "invalid signature");
    }

    [Fact]
    public async Task A_token_signed_by_another_key_without_a_key_id_is_refused()
    {
        var payload = TestKeys.Decode(_f.PodToken().Split('.')[1]);
        var token = TestKeys.Forge("""{"alg":"RS256"}""", payload, TestKeys.Attacker);

        AssertFailure(await _f.AuthenticateAsync(token), "invalid signature");
    }

    [Fact]
    public async Task Our_own_token_without_a_key_id_is_still_verified_with_our_key()
    {
        // Upstream tries every key when a token has no kid; the signature decides.
        var parts = _f.PodToken().Split('.');
        var header = TestKeys.Encode("""{"alg":"RS256"}""");
        var signature = System.Buffers.Text.Base64Url.EncodeToString(TestKeys.Primary.Sign(Encoding.ASCII.GetBytes(header + "." + parts[1])));

        Assert.Equal(AuthenticationOutcome.Success, (await _f.AuthenticateAsync(header + "." + parts[1] + "." + signature)).Outcome);
    }

    [Fact]
    public async Task A_token_with_alg_none_is_refused()
    {
        var payload = _f.PodToken().Split('.')[1];
        var token = TestKeys.Encode("""{"alg":"none","typ":"JWT"}""") + "." + payload + ".";

        AssertFailure(await _f.AuthenticateAsync(token), "unsupported signing algorithm \"none\"");
    }

    [Fact]
    public async Task A_token_with_hs256_keyed_by_the_public_key_is_refused()
    {
        // The classic confusion attack: HMAC with the published public key as the secret.
        var payload = _f.PodToken().Split('.')[1];
        var input = TestKeys.Encode($$"""{"alg":"HS256","kid":"{{TestKeys.Primary.KeyId}}"}""") + "." + payload;
        var mac = HMACSHA256.HashData(TestKeys.Primary.PublicKeyDer, Encoding.ASCII.GetBytes(input));

        AssertFailure(await _f.AuthenticateAsync(input + "." + System.Buffers.Text.Base64Url.EncodeToString(mac)), "unsupported signing algorithm \"HS256\"");
    }

    [Fact]
    public async Task A_tampered_payload_is_refused()
    {
        var token = ReplacePayload(_f.PodToken(), p => p.Replace("system:serviceaccount:ci:builder", "system:serviceaccount:kube-system:admin", StringComparison.Ordinal));

        AssertFailure(await _f.AuthenticateAsync(token), "invalid signature");
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused()
    {
        var token = _f.PodToken(audiences: ["vault"]);

        AssertFailure(await _f.AuthenticateAsync(token), "token audiences [\"vault\"] is invalid for the target audiences [\"https://kubernetes.default.svc.cluster.local\"]");
    }

    [Fact]
    public async Task A_token_review_asking_for_the_tokens_audience_accepts_it_and_reports_that_audience()
    {
        var token = _f.PodToken(audiences: ["vault", "other"]);

        var result = await _f.AuthenticateAsync(token, audiences: ["vault"]);

        Assert.Equal(AuthenticationOutcome.Success, result.Outcome);
        Assert.Equal(["vault"], result.Audiences);
    }

    [Theory]
    [InlineData("bad base64url in the header", "!!!.{payload}.{signature}", "malformed token header: not base64url")]
    [InlineData("a header that is not JSON", "bm90IGpzb24.{payload}.{signature}", "malformed token header: not JSON")]
    [InlineData("bad base64url in the signature", "{header}.{payload}.a+b/", "malformed token signature: not base64url")]
    [InlineData("an empty signature", "{header}.{payload}.", "invalid signature")]
    public async Task A_malformed_token_of_our_issuer_is_refused(string name, string shape, string expectedReason)
    {
        var parts = _f.PodToken().Split('.');
        var token = shape.Replace("{header}", parts[0], StringComparison.Ordinal).Replace("{payload}", parts[1], StringComparison.Ordinal).Replace("{signature}", parts[2], StringComparison.Ordinal);

        var result = await _f.AuthenticateAsync(token);

        Assert.True(result.Outcome == AuthenticationOutcome.Failure, $"{name}: {result.Outcome}");
        Assert.Contains(expectedReason, result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("an opaque token", "abcdef.0123456789abcdef")]
    [InlineData("two parts", "eyJhIjoxfQ.eyJhIjoxfQ")]
    [InlineData("a payload that is not base64url", "eyJhIjoxfQ.***.sig")]
    [InlineData("a payload that is not JSON", "eyJhIjoxfQ.bm90IGpzb24.sig")]
    [InlineData("another issuer", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2FjY291bnRzLmdvb2dsZS5jb20ifQ.sig")]
    public async Task Tokens_that_are_not_ours_are_left_to_other_authenticators(string name, string token)
    {
        var result = await _f.AuthenticateAsync(token);

        Assert.True(result.Outcome == AuthenticationOutcome.NotApplicable, $"{name}: {result.Outcome} {result.Reason}");
    }

    [Fact]
    public async Task No_bearer_token_is_not_applicable()
    {
        var result = await _f.Authenticator.AuthenticateAsync(new AuthenticationRequest(null, null), CancellationToken.None);

        Assert.Equal(AuthenticationOutcome.NotApplicable, result.Outcome);
    }

    [Fact]
    public async Task A_node_bound_token_checks_the_node()
    {
        var token = _f.Issuer_.IssueBound(new BoundTokenRequest(_f.Account, [ServiceAccountFixture.Issuer], Node: _f.Node)).Token;

        var ok = await _f.AuthenticateAsync(token);
        Assert.Equal(AuthenticationOutcome.Success, ok.Outcome);
        Assert.Equal(["node-a"], ok.User!.Extra[ServiceAccountUser.NodeNameKey]);
        Assert.False(ok.User.Extra.ContainsKey(ServiceAccountUser.PodNameKey));

        _f.Reader.Put(new V1Node { Metadata = new V1ObjectMeta { Name = "node-a", Uid = "node-uid-2" } });
        AssertFailure(await _f.AuthenticateAsync(token), "node UID (node-uid-2) does not match service account node ref claim (node-uid-1)");

        _f.Reader.Remove("Node", "", "node-a");
        AssertFailure(await _f.AuthenticateAsync(token), "bound node node-a not found");
    }

    [Fact]
    public async Task A_pod_bound_token_does_not_need_its_node_to_exist()
    {
        var token = _f.PodToken();
        _f.Reader.Remove("Node", "", "node-a");

        Assert.Equal(AuthenticationOutcome.Success, (await _f.AuthenticateAsync(token)).Outcome);
    }

    [Fact]
    public async Task A_secret_bound_token_dies_with_its_secret()
    {
        var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = "bound", NamespaceProperty = "ci", Uid = "secret-uid-1" } };
        _f.Reader.Put(secret);
        var token = _f.Issuer_.IssueBound(new BoundTokenRequest(_f.Account, [ServiceAccountFixture.Issuer], Secret: secret)).Token;
        Assert.Equal(AuthenticationOutcome.Success, (await _f.AuthenticateAsync(token)).Outcome);

        _f.Reader.Put(new V1Secret { Metadata = new V1ObjectMeta { Name = "bound", NamespaceProperty = "ci", Uid = "secret-uid-2" } });
        AssertFailure(await _f.AuthenticateAsync(token), "secret UID (secret-uid-2) does not match service account secret ref claim (secret-uid-1)");

        _f.Reader.Remove("Secret", "ci", "bound");
        AssertFailure(await _f.AuthenticateAsync(token), "bound secret ci/bound not found");
    }

    [Fact]
    public async Task A_legacy_token_authenticates_while_its_secret_holds_it()
    {
        var token = _f.Issuer_.IssueLegacy(_f.Account, "builder-token-x7k2p");
        _f.Reader.Put(ServiceAccountFixture.LegacySecret(token));

        var result = await _f.AuthenticateAsync(token);

        Assert.Equal(AuthenticationOutcome.Success, result.Outcome);
        Assert.Equal("system:serviceaccount:ci:builder", result.User!.Name);
        Assert.Equal("sa-uid-1", result.User.Uid);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:ci"], result.User.Groups);
        Assert.Empty(result.User.Extra);
        Assert.Equal([ServiceAccountFixture.Issuer], result.Audiences);

        // No expiry: a year later it still works.
        _f.Time.Advance(TimeSpan.FromDays(365));
        Assert.Equal(AuthenticationOutcome.Success, (await _f.AuthenticateAsync(token)).Outcome);
    }

    [Fact]
    public async Task A_legacy_token_whose_secret_was_deleted_is_refused()
    {
        var token = _f.Issuer_.IssueLegacy(_f.Account, "builder-token-x7k2p");
        _f.Reader.Put(ServiceAccountFixture.LegacySecret(token));
        _f.Reader.Remove("Secret", "ci", "builder-token-x7k2p");

        AssertFailure(await _f.AuthenticateAsync(token), "token has been invalidated: secret ci/builder-token-x7k2p not found");
    }

    [Fact]
    public async Task A_legacy_token_whose_secret_holds_another_token_is_refused()
    {
        var token = _f.Issuer_.IssueLegacy(_f.Account, "builder-token-x7k2p");
        _f.Reader.Put(ServiceAccountFixture.LegacySecret("a rotated token"));

        AssertFailure(await _f.AuthenticateAsync(token), "token does not match server's copy");
    }

    [Fact]
    public async Task A_legacy_token_whose_account_was_recreated_is_refused()
    {
        var token = _f.Issuer_.IssueLegacy(_f.Account, "builder-token-x7k2p");
        _f.Reader.Put(ServiceAccountFixture.LegacySecret(token));
        _f.Reader.Put(ServiceAccountFixture.Clone(_f.Account, "sa-uid-2"));

        AssertFailure(await _f.AuthenticateAsync(token), "ServiceAccount UID (sa-uid-2) does not match claim (sa-uid-1)");
    }

    [Fact]
    public async Task A_legacy_token_in_a_secret_of_another_account_is_refused()
    {
        var token = _f.Issuer_.IssueLegacy(_f.Account, "builder-token-x7k2p");
        var secret = ServiceAccountFixture.LegacySecret(token);
        secret.Metadata.Annotations["kubernetes.io/service-account.name"] = "deployer";
        _f.Reader.Put(secret);

        AssertFailure(await _f.AuthenticateAsync(token), "belongs to service account deployer, not builder");
    }

    [Fact]
    public async Task A_legacy_token_marked_invalid_by_the_cleaner_is_refused()
    {
        var token = _f.Issuer_.IssueLegacy(_f.Account, "builder-token-x7k2p");
        var secret = ServiceAccountFixture.LegacySecret(token);
        secret.Metadata.Labels = new Dictionary<string, string> { ["kubernetes.io/legacy-token-invalid-since"] = "2026-01-01" };
        _f.Reader.Put(secret);

        AssertFailure(await _f.AuthenticateAsync(token), "has been marked invalid");
    }

    [Fact]
    public async Task A_legacy_token_whose_subject_does_not_match_its_claims_is_refused()
    {
        // Signed by our key (as if a buggy issuer wrote it): the validator still insists on a coherent subject.
        var payload = """{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"ci","kubernetes.io/serviceaccount/secret.name":"s","kubernetes.io/serviceaccount/service-account.name":"builder","kubernetes.io/serviceaccount/service-account.uid":"sa-uid-1","sub":"system:serviceaccount:kube-system:builder"}""";
        var header = TestKeys.Encode($$"""{"alg":"RS256","kid":"{{TestKeys.Primary.KeyId}}"}""");
        var body = TestKeys.Encode(payload);
        var token = header + "." + body + "." + System.Buffers.Text.Base64Url.EncodeToString(TestKeys.Primary.Sign(Encoding.ASCII.GetBytes(header + "." + body)));

        AssertFailure(await _f.AuthenticateAsync(token), "sub claim is invalid");
    }
}
