using System.Net;
using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Auth.Authentication;
using Kubesharp.ApiServer.Auth.Authorization;
using Microsoft.Extensions.Primitives;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

public sealed class ImpersonationTests
{
    private static readonly UserInfo Alice = UserInfo.Create("alice", ["admins", UserInfo.Authenticated]);

    private readonly List<RequestAttributes> _checks = [];

    private static KeyValuePair<string, StringValues>[] Headers(params (string Name, string[] Values)[] headers) =>
        [.. headers.Select(h => new KeyValuePair<string, StringValues>(h.Name, new StringValues(h.Values)))];

    private Func<RequestAttributes, AuthorizationDecision> Allow(Func<RequestAttributes, bool>? allowed = null) => a =>
    {
        _checks.Add(a);
        return allowed is null || allowed(a) ? AuthorizationDecision.Allow() : AuthorizationDecision.NoOpinion();
    };

    [Fact]
    public void No_impersonation_headers_change_nothing()
    {
        var result = Impersonation.Apply(Alice, Headers(("Authorization", ["Bearer x"]), ("Accept", ["application/json"])), Allow());

        Assert.Equal(ImpersonationOutcome.NotRequested, result.Outcome);
        Assert.Empty(_checks);
    }

    [Fact]
    public void A_user_with_groups_extras_and_uid_is_checked_piece_by_piece_then_becomes_the_user()
    {
        var result = Impersonation.Apply(Alice, Headers(
            ("Impersonate-User", ["bob"]),
            ("Impersonate-Group", ["dev", "ops"]),
            ("Impersonate-Extra-Scopes", ["view", "edit"]),
            ("impersonate-extra-example.com%2Fteam", ["blue"]),
            ("Impersonate-Uid", ["1234"])), Allow());

        Assert.Equal(ImpersonationOutcome.Impersonated, result.Outcome);
        var user = result.User!;
        Assert.Equal("bob", user.Name);
        Assert.Equal("1234", user.Uid);
        Assert.Equal(["dev", "ops", "system:authenticated"], user.Groups);
        Assert.Equal(["view", "edit"], user.Extra["scopes"]);
        Assert.Equal(["blue"], user.Extra["example.com/team"]);
        Assert.Equal(
            [
                ("users", "", "", "bob", ""),
                ("groups", "", "", "dev", ""),
                ("groups", "", "", "ops", ""),
                ("userextras", "authentication.k8s.io", "scopes", "view", ""),
                ("userextras", "authentication.k8s.io", "scopes", "edit", ""),
                ("userextras", "authentication.k8s.io", "example.com/team", "blue", ""),
                ("uids", "authentication.k8s.io", "", "1234", ""),
            ],
            _checks.Select(c => (c.Resource, c.ApiGroup, c.Subresource, c.Name, c.Namespace)));
        Assert.All(_checks, c =>
        {
            Assert.Equal("impersonate", c.Verb);
            Assert.True(c.IsResourceRequest);
            Assert.Same(Alice, c.User);
        });
    }

    [Fact]
    public void A_service_account_is_checked_in_its_namespace_and_gets_its_groups()
    {
        var result = Impersonation.Apply(Alice, Headers(("Impersonate-User", ["system:serviceaccount:ci:builder"])), Allow());

        var check = Assert.Single(_checks);
        Assert.Equal(("serviceaccounts", "", "ci", "builder"), (check.Resource, check.ApiGroup, check.Namespace, check.Name));
        Assert.Equal("system:serviceaccount:ci:builder", result.User!.Name);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"], result.User.Groups);
    }

    [Fact]
    public void A_service_account_with_explicit_groups_gets_only_those()
    {
        var result = Impersonation.Apply(Alice, Headers(("Impersonate-User", ["system:serviceaccount:ci:builder"]), ("Impersonate-Group", ["x"])), Allow());

        Assert.Equal(["x", "system:authenticated"], result.User!.Groups);
    }

    [Theory]
    [InlineData("an invalid namespace", "system:serviceaccount:Bad_NS:builder")]
    [InlineData("too many parts", "system:serviceaccount:a:b:c")]
    public void A_name_that_only_looks_like_a_service_account_is_a_user(string name, string username)
    {
        Impersonation.Apply(Alice, Headers(("Impersonate-User", [username])), Allow());

        Assert.True(_checks.Single().Resource == "users", name);
    }

    [Theory]
    [InlineData("anonymous", "system:anonymous", new string[0], new[] { "system:unauthenticated" })]
    [InlineData("unauthenticated group given", "bob", new[] { "system:unauthenticated" }, new[] { "system:unauthenticated" })]
    [InlineData("authenticated group given", "bob", new[] { "system:authenticated", "x" }, new[] { "system:authenticated", "x" })]
    public void Upstreams_authenticated_and_unauthenticated_groups(string name, string username, string[] groups, string[] expected)
    {
        var headers = Headers([("Impersonate-User", [username]), .. groups.Length > 0 ? [("Impersonate-Group", groups)] : Array.Empty<(string, string[])>()]);

        var result = Impersonation.Apply(Alice, headers, Allow());

        Assert.True(expected.SequenceEqual(result.User!.Groups), $"{name}: {string.Join(",", result.User.Groups)}");
    }

    [Fact]
    public void Impersonation_without_the_verb_is_refused_with_upstreams_forbidden_message()
    {
        var result = Impersonation.Apply(Alice, Headers(("Impersonate-User", ["bob"])), _ => AuthorizationDecision.NoOpinion());

        Assert.Equal(ImpersonationOutcome.Refused, result.Outcome);
        Assert.Null(result.User);
        Assert.Equal(HttpStatusCode.Forbidden, result.Error!.Code);
        Assert.Equal("Forbidden", result.Error.Reason);
        Assert.Equal("users \"bob\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", result.Error.Message);
    }

    [Fact]
    public void An_explicit_deny_reason_is_appended()
    {
        var result = Impersonation.Apply(Alice, Headers(("Impersonate-User", ["bob"])), _ => AuthorizationDecision.Deny("no impersonation on Fridays"));

        Assert.EndsWith("at the cluster scope: no impersonation on Fridays", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_forbidden_piece_refuses_the_whole_request()
    {
        var result = Impersonation.Apply(
            Alice,
            Headers(("Impersonate-User", ["system:serviceaccount:ci:builder"]), ("Impersonate-Group", ["dev"]), ("Impersonate-Extra-Scopes", ["view"])),
            Allow(a => a.Resource != "userextras"));

        Assert.Equal(ImpersonationOutcome.Refused, result.Outcome);
        Assert.Equal("userextras.authentication.k8s.io \"view\" is forbidden: User \"alice\" cannot impersonate resource \"userextras/scopes\" in API group \"authentication.k8s.io\" at the cluster scope", result.Error!.Message);
    }

    [Fact]
    public void A_forbidden_service_account_names_its_namespace()
    {
        var result = Impersonation.Apply(Alice, Headers(("Impersonate-User", ["system:serviceaccount:ci:builder"])), _ => AuthorizationDecision.NoOpinion());

        Assert.Equal("serviceaccounts \"builder\" is forbidden: User \"alice\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"ci\"", result.Error!.Message);
    }

    [Theory]
    [InlineData("groups", "Impersonate-Group", "dev", "requested [{Group  dev    }] without impersonating a user")]
    [InlineData("an extra", "Impersonate-Extra-Scopes", "view", "requested [{UserExtra  view  authentication.k8s.io/v1  scopes}] without impersonating a user")]
    [InlineData("a uid", "Impersonate-Uid", "1234", "requested [{UID  1234  authentication.k8s.io/v1  }] without impersonating a user")]
    public void Impersonating_anything_without_a_user_is_a_bad_request(string name, string header, string value, string expected)
    {
        var result = Impersonation.Apply(Alice, Headers((header, [value])), Allow());

        Assert.True(result.Outcome == ImpersonationOutcome.Refused, name);
        Assert.Equal(HttpStatusCode.BadRequest, result.Error!.Code);
        Assert.Equal(expected, result.Error.Message);
        Assert.Empty(_checks);
    }

    [Theory]
    [InlineData("Impersonate-User", true)]
    [InlineData("impersonate-group", true)]
    [InlineData("Impersonate-Uid", true)]
    [InlineData("Impersonate-Extra-Anything", true)]
    [InlineData("Impersonate-Other", false)]
    [InlineData("Authorization", false)]
    public void The_headers_to_strip_are_exactly_the_impersonation_headers(string header, bool strip)
    {
        Assert.Equal(strip, Impersonation.IsImpersonationHeader(header));
    }
}
