using k8s.Models;
using Kubesharp.Controllers.Deployment;

namespace Kubesharp.Controllers.Tests.Deployment;

public sealed class DeploymentMathTests
{
    private static V1Deployment D(int replicas, string? maxSurge = "25%", string? maxUnavailable = "25%", string strategy = "RollingUpdate") => new()
    {
        Metadata = new V1ObjectMeta { Name = "d", NamespaceProperty = "default", Generation = 1 },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Strategy = new V1DeploymentStrategy
            {
                Type = strategy,
                RollingUpdate = strategy == "RollingUpdate" ? new V1RollingUpdateDeployment { MaxSurge = maxSurge, MaxUnavailable = maxUnavailable } : null,
            },
        },
    };

    private static V1ReplicaSet Rs(string name, int replicas, int available = 0, int? maxReplicasAnnotation = null, int secondsOld = 0) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Uid = "uid-" + name,
            CreationTimestamp = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(-secondsOld),
            Annotations = maxReplicasAnnotation is { } m ? new Dictionary<string, string> { [DeploymentAnnotations.MaxReplicas] = m.ToString(System.Globalization.CultureInfo.InvariantCulture) } : null,
        },
        Spec = new V1ReplicaSetSpec { Replicas = replicas },
        Status = new V1ReplicaSetStatus { Replicas = replicas, AvailableReplicas = available },
    };

    // Surge rounds a percentage up, unavailable rounds it down; both zero makes unavailable 1.
    [Theory]
    [InlineData("25%", "25%", 10, 3, 2)]
    [InlineData("25%", "25%", 4, 1, 1)]
    [InlineData("25%", "25%", 1, 1, 0)]
    [InlineData("1%", "99%", 3, 1, 2)]
    [InlineData("0", "0%", 3, 0, 1)]
    [InlineData("0%", "10%", 5, 0, 1)]
    [InlineData("2", "1", 10, 2, 1)]
    [InlineData("100%", "0", 3, 3, 0)]
    [InlineData("50%", "50%", 0, 0, 1)]
    [InlineData(null, null, 5, 0, 1)]
    [InlineData("x%", "1", 5, 0, 0)]
    public void Fenceposts_round_surge_up_and_unavailable_down(string? surge, string? unavailable, int replicas, int expectedSurge, int expectedUnavailable)
    {
        var (s, u) = IntOrPercent.ResolveFenceposts(surge, unavailable, replicas);

        Assert.Equal((expectedSurge, expectedUnavailable), (s, u));
    }

    [Theory]
    [InlineData(10, "25%", "25%", 3, 2)]
    [InlineData(3, "0", "100%", 0, 3)]
    [InlineData(0, "25%", "25%", 0, 0)]
    public void Max_surge_and_max_unavailable_of_a_deployment(int replicas, string surge, string unavailable, int expectedSurge, int expectedUnavailable)
    {
        var d = D(replicas, surge, unavailable);

        Assert.Equal((expectedSurge, expectedUnavailable), (DeploymentMath.MaxSurge(d), DeploymentMath.MaxUnavailable(d)));
    }

    [Fact]
    public void Recreate_has_no_surge_and_no_unavailable_budget()
    {
        var d = D(5, strategy: "Recreate");

        Assert.Equal((0, 0), (DeploymentMath.MaxSurge(d), DeploymentMath.MaxUnavailable(d)));
    }

    // (deployment replicas, maxSurge, old replicas, new replicas) -> the new ReplicaSet's size now.
    [Theory]
    [InlineData(10, "3", 10, 0, 3)]
    [InlineData(10, "3", 8, 3, 5)]
    [InlineData(10, "3", 10, 3, 3)]
    [InlineData(10, "30%", 0, 8, 10)]
    [InlineData(3, "1", 3, 0, 1)]
    [InlineData(3, "0", 2, 0, 1)]
    public void The_new_replica_set_grows_within_the_surge(int replicas, string surge, int oldReplicas, int newReplicas, int expected)
    {
        var d = D(replicas, surge, "1");
        var newRS = Rs("new", newReplicas);

        Assert.Equal(expected, DeploymentMath.NewRSNewReplicas(d, [Rs("old", oldReplicas), newRS], newRS));
    }

    [Fact]
    public void Pods_an_old_replica_set_still_has_count_against_the_surge_until_they_are_gone()
    {
        var d = D(4, "1", "1");
        var newRS = Rs("new", 1);
        var old = Rs("old", 3);
        old.Status = new V1ReplicaSetStatus { Replicas = 4 };

        // Scaled down to 3 but its fourth pod not yet deleted: 4 + 1 pods exist, so the new one may not grow yet.
        Assert.Equal(1, DeploymentMath.NewRSNewReplicas(d, [old, newRS], newRS));

        old.Status.Replicas = 3;
        Assert.Equal(2, DeploymentMath.NewRSNewReplicas(d, [old, newRS], newRS));
    }

    [Fact]
    public void Recreate_sizes_the_new_replica_set_to_the_deployment()
    {
        var d = D(4, strategy: "Recreate");

        Assert.Equal(4, DeploymentMath.NewRSNewReplicas(d, [Rs("old", 4), Rs("new", 0)], Rs("new", 0)));
    }

    // A deployment at 10 (surge 3: max 13) scaled while rolling; the ReplicaSets were sized for 13.
    [Theory]
    [InlineData(20, 8, 5, 16, 10)]
    [InlineData(5, 8, 5, 4, 3)]
    [InlineData(0, 8, 5, 0, 0)]
    public void Proportions_follow_each_replica_set_share_of_the_old_maximum(int newDesired, int oldSize, int newSize, int expectedOld, int expectedNew)
    {
        var d = D(newDesired, "30%", "0");
        var old = Rs("old", oldSize, maxReplicasAnnotation: 13, secondsOld: 100);
        var young = Rs("new", newSize, maxReplicasAnnotation: 13);
        var toAdd = (newDesired > 0 ? newDesired + DeploymentMath.MaxSurge(d) : 0) - (oldSize + newSize);
        var added = 0;
        var sizes = new Dictionary<string, int>();
        foreach (var rs in new[] { old, young })
        {
            var p = DeploymentMath.Proportion(rs, d, toAdd, added);
            sizes[rs.Metadata.Name] = rs.Spec.Replicas!.Value + p;
            added += p;
        }

        sizes["old"] += toAdd - added;

        Assert.Equal((expectedOld, expectedNew), (sizes["old"], sizes["new"]));
    }

    [Fact]
    public void A_proportion_never_exceeds_what_is_left_to_add()
    {
        var d = D(100, "0", "1");

        Assert.Equal(2, DeploymentMath.Proportion(Rs("a", 10, maxReplicasAnnotation: 10), d, toAdd: 5, added: 3));
        Assert.Equal(-2, DeploymentMath.Proportion(Rs("a", 10, maxReplicasAnnotation: 1000), D(1, "0", "1"), toAdd: -5, added: -3));
        Assert.Equal(0, DeploymentMath.Proportion(Rs("a", 0), d, toAdd: 5, added: 0));
    }

    [Fact]
    public void Complete_progressing_and_timed_out()
    {
        var d = D(3);
        d.Spec.ProgressDeadlineSeconds = 60;
        d.Status = new V1DeploymentStatus { Replicas = 4, UpdatedReplicas = 2, ReadyReplicas = 2, AvailableReplicas = 2, ObservedGeneration = 1 };
        var now = new DateTimeOffset(2026, 1, 1, 0, 10, 0, TimeSpan.Zero);
        var progressing = new V1DeploymentCondition { Type = "Progressing", Status = "True", Reason = "ReplicaSetUpdated", LastUpdateTime = now.UtcDateTime.AddSeconds(-61) };

        Assert.True(DeploymentMath.DeploymentComplete(d, new V1DeploymentStatus { Replicas = 3, UpdatedReplicas = 3, AvailableReplicas = 3, ObservedGeneration = 1 }));
        Assert.False(DeploymentMath.DeploymentComplete(d, new V1DeploymentStatus { Replicas = 3, UpdatedReplicas = 3, AvailableReplicas = 3, ObservedGeneration = 0 }));
        Assert.True(DeploymentMath.DeploymentProgressing(d, new V1DeploymentStatus { Replicas = 4, UpdatedReplicas = 3, AvailableReplicas = 2 }));
        Assert.True(DeploymentMath.DeploymentProgressing(d, new V1DeploymentStatus { Replicas = 3, UpdatedReplicas = 2, AvailableReplicas = 2 }));
        Assert.False(DeploymentMath.DeploymentProgressing(d, new V1DeploymentStatus { Replicas = 4, UpdatedReplicas = 2, ReadyReplicas = 2, AvailableReplicas = 2 }));
        Assert.True(DeploymentMath.DeploymentTimedOut(d, new V1DeploymentStatus { Conditions = [progressing] }, now));
        progressing.LastUpdateTime = now.UtcDateTime.AddSeconds(-59);
        Assert.False(DeploymentMath.DeploymentTimedOut(d, new V1DeploymentStatus { Conditions = [progressing] }, now));
        progressing.Reason = "NewReplicaSetAvailable";
        progressing.LastUpdateTime = now.UtcDateTime.AddDays(-1);
        Assert.False(DeploymentMath.DeploymentTimedOut(d, new V1DeploymentStatus { Conditions = [progressing] }, now));
    }

    [Fact]
    public void Active_or_latest_is_the_only_active_one_or_the_newest()
    {
        var newRS = Rs("new", 0);

        Assert.Equal("old", DeploymentMath.FindActiveOrLatest(newRS, [Rs("old", 3, secondsOld: 10)])!.Metadata.Name);
        Assert.Equal("new", DeploymentMath.FindActiveOrLatest(newRS, [Rs("old", 0, secondsOld: 10)])!.Metadata.Name);
        Assert.Equal("younger", DeploymentMath.FindActiveOrLatest(null, [Rs("older", 0, secondsOld: 10), Rs("younger", 0, secondsOld: 5)])!.Metadata.Name);
        Assert.Null(DeploymentMath.FindActiveOrLatest(Rs("new", 1), [Rs("old", 3, secondsOld: 10)]));
    }

    [Fact]
    public void The_pod_template_hash_is_stable_ignores_map_order_and_changes_with_the_collision_count()
    {
        var a = Fakes.TestObjects.Template(labels: new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" });
        var b = Fakes.TestObjects.Template(labels: new Dictionary<string, string> { ["tier"] = "front", ["app"] = "web" });
        var c = Fakes.TestObjects.Template(image: "nginx:2", labels: new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" });

        var hash = PodTemplateHash.Compute(a, null);

        Assert.Equal(hash, PodTemplateHash.Compute(b, null));
        Assert.NotEqual(hash, PodTemplateHash.Compute(c, null));
        Assert.NotEqual(hash, PodTemplateHash.Compute(a, 1));
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]{1,10}$", hash);
        Assert.True(PodTemplateHash.EqualIgnoreHash(a, b));
        var withHash = Fakes.TestObjects.Template(labels: new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front", [PodTemplateHash.Label] = hash });
        Assert.True(PodTemplateHash.EqualIgnoreHash(a, withHash));
        Assert.False(PodTemplateHash.EqualIgnoreHash(a, c));
    }

    [Fact]
    public void Safe_encoding_maps_digits_as_upstream()
    {
        // '0' is 48: 48 % 27 = 21 -> '4'; '9' is 57: 57 % 27 = 3 -> 'f'.
        Assert.Equal("4f", PodTemplateHash.SafeEncode("09"));
    }
}
