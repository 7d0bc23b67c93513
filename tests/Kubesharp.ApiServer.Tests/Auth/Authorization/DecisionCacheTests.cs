using Kubesharp.ApiServer.Auth.Authorization;
using static Kubesharp.ApiServer.Tests.Auth.Authorization.RbacFixtures;

namespace Kubesharp.ApiServer.Tests.Auth.Authorization;

public sealed class DecisionCacheTests
{
    private static readonly RequestAttributes GetPods = Resource(User("alice"), "get", "pods", "team-a", "web");

    private static RbacSnapshot Granting(string user) => new(
        [],
        [ClusterRole("reader", Rule(["get"], [""], ["pods"]))],
        [RoleBinding("team-a", "reader", "ClusterRole", "reader", UserSubject(user))],
        []);

    [Fact]
    public void A_new_snapshot_invalidates_the_cached_decisions()
    {
        var current = Granting("alice");
        var authorizer = new RbacAuthorizer(() => current);
        Assert.Equal(AuthorizationOutcome.Allow, authorizer.Authorize(GetPods).Outcome);

        current = Granting("someone-else");

        Assert.Equal(AuthorizationOutcome.NoOpinion, authorizer.Authorize(GetPods).Outcome);
        current = Granting("alice");
        Assert.Equal(AuthorizationOutcome.Allow, authorizer.Authorize(GetPods).Outcome);
    }

    [Fact]
    public void Within_one_snapshot_a_decision_is_served_from_the_cache()
    {
        var snapshot = Granting("alice");
        var authorizer = new RbacAuthorizer(() => snapshot);
        Assert.Equal(AuthorizationOutcome.Allow, authorizer.Authorize(GetPods).Outcome);

        // Breaking the snapshot's promise of immutability shows whether the rules are evaluated again.
        snapshot.ClusterRoles[0].Rules.Clear();

        Assert.Equal(AuthorizationOutcome.Allow, authorizer.Authorize(GetPods).Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, RbacAuthorizer.Evaluate(snapshot, GetPods).Outcome);
        Assert.Equal(1, authorizer.CachedDecisions);
    }

    [Fact]
    public void The_key_tells_users_groups_and_attributes_apart()
    {
        var alice = User("alice", "g1");
        var keys = new[]
        {
            RbacAuthorizer.CacheKey(Resource(alice, "get", "pods", "team-a", "web")),
            RbacAuthorizer.CacheKey(Resource(User("alice", "g2"), "get", "pods", "team-a", "web")),
            RbacAuthorizer.CacheKey(Resource(User("alice"), "get", "pods", "team-a", "web")),
            RbacAuthorizer.CacheKey(Resource(User("bob", "g1"), "get", "pods", "team-a", "web")),
            RbacAuthorizer.CacheKey(Resource(alice, "list", "pods", "team-a", "web")),
            RbacAuthorizer.CacheKey(Resource(alice, "get", "pods", "team-b", "web")),
            RbacAuthorizer.CacheKey(Resource(alice, "get", "pods", "team-a", "db")),
            RbacAuthorizer.CacheKey(Resource(alice, "get", "pods", "team-a", "web", subresource: "log")),
            RbacAuthorizer.CacheKey(Resource(alice, "get", "pods", "team-a", "web", group: "x")),
            RbacAuthorizer.CacheKey(NonResource(alice, "get", "/pods")),
            // Concatenations that a plain separator would confuse.
            RbacAuthorizer.CacheKey(Resource(User("a:b"), "get", "pods")),
            RbacAuthorizer.CacheKey(Resource(User("a", "b"), "get", "pods")),
        };

        Assert.Equal(keys.Length, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(keys[0], RbacAuthorizer.CacheKey(Resource(alice, "get", "pods", "team-a", "web") with { ApiVersion = "v2" }));
    }

    [Fact]
    public void The_cache_stays_within_its_capacity()
    {
        var snapshot = Granting("alice");
        var authorizer = new RbacAuthorizer(() => snapshot, decisionCacheCapacity: 64);

        for (var i = 0; i < 1000; i++)
        {
            authorizer.Authorize(Resource(User("user-" + i), "get", "pods", "team-a", "web"));
            Assert.InRange(authorizer.CachedDecisions, 1, 64);
        }

        // A recent decision survives the turnover; it is still right.
        Assert.Equal(AuthorizationOutcome.NoOpinion, authorizer.Authorize(Resource(User("user-999"), "get", "pods", "team-a", "web")).Outcome);
    }

    [Fact]
    public void A_decision_made_against_an_older_snapshot_is_not_stored()
    {
        var cache = new DecisionCache(16);
        cache.Set(version: 5, "k", AuthorizationDecision.Allow("new"));

        cache.Set(version: 4, "k2", AuthorizationDecision.Allow("stale"));

        Assert.False(cache.TryGet(5, "k2", out _));
        Assert.False(cache.TryGet(4, "k2", out _));
        Assert.True(cache.TryGet(5, "k", out var decision));
        Assert.Equal("new", decision.Reason);
    }

    [Fact]
    public void A_hit_in_the_previous_generation_is_kept()
    {
        var cache = new DecisionCache(4);
        cache.Set(1, "old", AuthorizationDecision.Allow("old"));
        cache.Set(1, "b", AuthorizationDecision.Allow());
        cache.Set(1, "c", AuthorizationDecision.Allow());

        // "old" now lives in the previous generation; a hit copies it forward before the next turnover.
        Assert.True(cache.TryGet(1, "old", out _));
        cache.Set(1, "d", AuthorizationDecision.Allow());
        cache.Set(1, "e", AuthorizationDecision.Allow());

        Assert.True(cache.TryGet(1, "old", out _));
        Assert.False(cache.TryGet(1, "b", out _));
    }
}
