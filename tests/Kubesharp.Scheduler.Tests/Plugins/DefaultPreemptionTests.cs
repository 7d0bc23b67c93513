using k8s.Models;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.DefaultPreemption;

namespace Kubesharp.Scheduler.Tests.Plugins;

public sealed class DefaultPreemptionTests
{
    private static readonly Profile Profile = DefaultProfiles.Create(Offline.Client);

    private static (PostFilterContext Context, CycleState State, PodInfo Pod) Prepare(V1Pod pod, NominatedPods? nominated, params NodeInfo[] nodes)
    {
        var info = PodInfo.Of(pod);
        var state = new CycleState();
        Assert.True(Profile.RunPreFilter(state, info, nodes).Status.IsSuccess);
        return (new PostFilterContext(Profile, nodes, nominated ?? NominatedPods.None), state, info);
    }

    private static V1Pod Labeled(V1Pod pod, string app, DateTime? started = null)
    {
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = app };
        pod.Status = new V1PodStatus { StartTime = started };
        return pod;
    }

    private static V1PodDisruptionBudget Pdb(string app, int allowed, params string[] disrupted) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"pdb-{app}", NamespaceProperty = "default" },
        Spec = new V1PodDisruptionBudgetSpec { Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = app } } },
        Status = new V1PodDisruptionBudgetStatus { DisruptionsAllowed = allowed, DisruptedPods = disrupted.ToDictionary(d => d, _ => (DateTime?)DateTime.UtcNow) },
    };

    [Fact]
    public void Only_lower_priority_pods_are_victims_and_the_most_important_are_reprieved_first()
    {
        // 4 cpu: low (1 cpu, priority 0), mid (2 cpu, priority 5), high (1 cpu, priority 100). The pod wants 2 cpu at priority 10.
        var node = Make.Info(
            Make.Node("n1"),
            Make.Pod("low", "1", node: "n1", priority: 0),
            Make.Pod("mid", "2", node: "n1", priority: 5),
            Make.Pod("high", "1", node: "n1", priority: 100));
        var (context, state, pod) = Prepare(Make.Pod("p", "2", priority: 10), null, node);

        var (victims, violations, status) = DefaultPreemption.SelectVictimsOnNode(context, state, pod, node.Clone(), []);

        Assert.True(status.IsSuccess, status.ToString());
        // mid is tried first (more important) and must go; then low fits back beside the pod.
        Assert.Equal(["mid"], victims.Select(v => v.Pod.Metadata.Name));
        Assert.Equal(0, violations);
    }

    [Fact]
    public void A_node_with_nothing_of_lower_priority_or_still_too_small_is_no_candidate()
    {
        var higher = Make.Info(Make.Node("n1", cpu: "1"), Make.Pod("boss", "1", node: "n1", priority: 50));
        var (context, state, pod) = Prepare(Make.Pod("p", "1", priority: 10), null, higher);
        var none = DefaultPreemption.SelectVictimsOnNode(context, state, pod, higher.Clone(), []);
        Assert.Equal((Code.UnschedulableAndUnresolvable, DefaultPreemption.NoVictims), (none.Status.Code, none.Status.Message));

        var small = Make.Info(Make.Node("n2", cpu: "1"), Make.Pod("low", "500m", node: "n2", priority: 0));
        (context, state, pod) = Prepare(Make.Pod("p", "2", priority: 10), null, small);
        var tooSmall = DefaultPreemption.SelectVictimsOnNode(context, state, pod, small.Clone(), []);
        Assert.False(tooSmall.Status.IsSuccess);
        Assert.Equal(["Insufficient cpu"], tooSmall.Status.Reasons);
    }

    [Fact]
    public void Pods_a_budget_protects_are_reprieved_before_others_and_counted_when_they_must_go()
    {
        var started = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        // Two equal pods of 1 cpu on a 2-cpu node; the pod needs 1 cpu: one must go, and it should be the unprotected one.
        var node = Make.Info(
            Make.Node("n1", cpu: "2"),
            Labeled(Make.Pod("guarded", "1", node: "n1", priority: 0), "db", started.AddMinutes(1)),
            Labeled(Make.Pod("free", "1", node: "n1", priority: 0), "web", started));
        var (context, state, pod) = Prepare(Make.Pod("p", "1", priority: 10), null, node);

        var (victims, violations, status) = DefaultPreemption.SelectVictimsOnNode(context, state, pod, node.Clone(), [Pdb("db", allowed: 0)]);
        Assert.True(status.IsSuccess);
        Assert.Equal(["free"], victims.Select(v => v.Pod.Metadata.Name));
        Assert.Equal(0, violations);

        // Both protected and the pod needs both cpus: both go and both violations are counted.
        (context, state, pod) = Prepare(Make.Pod("q", "2", priority: 10), null, node);
        (victims, violations, _) = DefaultPreemption.SelectVictimsOnNode(context, state, pod, node.Clone(), [Pdb("db", 0), Pdb("web", 0)]);
        Assert.Equal(2, victims.Count);
        Assert.Equal(2, violations);
    }

    [Fact]
    public void The_budget_split_counts_down_allowed_disruptions_and_skips_pods_already_disrupted()
    {
        var pods = new[]
        {
            PodInfo.Of(Labeled(Make.Pod("a"), "db")),
            PodInfo.Of(Labeled(Make.Pod("b"), "db")),
            PodInfo.Of(Labeled(Make.Pod("c"), "db")),
            PodInfo.Of(Make.Pod("unlabeled")),
            PodInfo.Of(Labeled(Make.Pod("other-ns", ns: "prod"), "db")),
        };

        var (violating, nonViolating) = DefaultPreemption.SplitByPdbViolation(pods, [Pdb("db", allowed: 1, disrupted: "b")]);

        Assert.Equal(["c"], violating.Select(p => p.Pod.Metadata.Name));
        Assert.Equal(["a", "b", "unlabeled", "other-ns"], nonViolating.Select(p => p.Pod.Metadata.Name));
    }

    public static TheoryData<string, string> CandidateCases => new()
    {
        { "fewest budget violations", "n2" },
        { "lowest highest victim priority", "n3" },
        { "lowest priority sum", "n4" },
        { "fewest victims", "n5" },
        { "latest start of the highest-priority victims", "n6" },
    };

    [Theory]
    [MemberData(nameof(CandidateCases))]
    public void The_cheapest_node_is_picked_by_upstreams_criteria_in_order(string criterion, string expected)
    {
        var early = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        PodInfo Victim(int priority, int minutes = 0) => PodInfo.Of(Labeled(Make.Pod($"v{Guid.NewGuid():N}", priority: priority), "x", early.AddMinutes(minutes)));
        var candidates = criterion switch
        {
            "fewest budget violations" => new[] { new PreemptionCandidate("n1", [Victim(1)], 1), new PreemptionCandidate("n2", [Victim(5)], 0) },
            "lowest highest victim priority" => [new("n1", [Victim(5)], 0), new("n3", [Victim(3), Victim(3)], 0)],
            "lowest priority sum" => [new("n1", [Victim(3), Victim(2)], 0), new("n4", [Victim(3), Victim(1)], 0)],
            "fewest victims" => [new("n1", [Victim(3), Victim(0), Victim(0)], 0), new("n5", [Victim(3), Victim(0)], 0)],
            _ => [new("n1", [Victim(3, 0)], 0), new("n6", [Victim(3, 10)], 0)],
        };

        Assert.Equal(expected, DefaultPreemption.SelectCandidate(candidates).Node);
        Assert.Equal(expected, DefaultPreemption.SelectCandidate([.. candidates.Reverse()]).Node);
    }

    [Fact]
    public void A_pod_that_must_not_preempt_or_whose_victims_still_terminate_is_not_eligible()
    {
        var node = Make.Info(Make.Node("n1"));
        var never = Make.Pod("never", priority: 10, spec: s => s.PreemptionPolicy = "Never");
        var (context, _, pod) = Prepare(never, null, node);
        Assert.Equal("not eligible due to preemptionPolicy=Never.", DefaultPreemption.Ineligible(context, pod, new FilterDiagnosis()));

        var terminating = Make.Pod("victim", "1", node: "n1", priority: 0);
        terminating.Metadata.DeletionTimestamp = DateTime.UtcNow;
        terminating.Status = new V1PodStatus { Conditions = [new V1PodCondition { Type = "DisruptionTarget", Status = "True", Reason = "PreemptionByScheduler" }] };
        var busy = Make.Info(Make.Node("n1"), terminating);
        var waiting = Make.Pod("waiting", priority: 10);
        waiting.Status = new V1PodStatus { NominatedNodeName = "n1" };
        (context, _, pod) = Prepare(waiting, null, busy);
        Assert.Equal("not eligible due to a terminating pod on the nominated node.", DefaultPreemption.Ineligible(context, pod, new FilterDiagnosis()));

        // Unless the filters now call its nominated node hopeless.
        var diagnosis = new FilterDiagnosis();
        diagnosis.NodeToStatus["n1"] = Status.Unresolvable("NodeAffinity", "node(s) didn't match Pod's node affinity/selector");
        Assert.Null(DefaultPreemption.Ineligible(context, pod, diagnosis));
    }

    [Fact]
    public async Task With_no_candidate_the_message_says_why_per_node_as_upstream()
    {
        // Two full nodes whose pods all outrank the pod, and one the pod's selector excludes.
        var a = Make.Info(Make.Node("a", cpu: "1"), Make.Pod("x", "1", node: "a", priority: 100));
        var b = Make.Info(Make.Node("b", cpu: "1"), Make.Pod("y", "1", node: "b", priority: 100));
        var c = Make.Info(Make.Node("c", cpu: "8"));
        var (context, state, pod) = Prepare(Make.Pod("p", "1", priority: 10), null, a, b, c);
        var diagnosis = new FilterDiagnosis();
        diagnosis.NodeToStatus["a"] = Status.Unschedulable("NodeResourcesFit", "Insufficient cpu");
        diagnosis.NodeToStatus["b"] = Status.Unschedulable("NodeResourcesFit", "Insufficient cpu");
        diagnosis.NodeToStatus["c"] = Status.Unresolvable("NodeAffinity", "node(s) didn't match Pod's node affinity/selector");

        var (status, nominated) = await new DefaultPreemption(new PluginHandle(Offline.Client)).PostFilterAsync(context, state, pod, diagnosis, CancellationToken.None);

        Assert.Equal(Code.Unschedulable, status.Code);
        Assert.Equal("preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.", status.Message);
        Assert.Equal("", nominated);
    }

    [Fact]
    public void A_nominated_pod_of_higher_priority_holds_its_room_against_lower_ones()
    {
        var node = Make.Info(Make.Node("n1", cpu: "2"));
        var nominator = new Nominator();
        var preemptor = PodInfo.Of(Make.Pod("preemptor", "2", priority: 100));
        nominator.Set(preemptor, "n1");
        var nominated = nominator.Snapshot();

        var low = PodInfo.Of(Make.Pod("low", "1", priority: 0));
        var state = new CycleState();
        Profile.RunPreFilter(state, low, [node]);
        Assert.Equal(["Insufficient cpu"], Profile.RunFilterWithNominatedPods(state, low, node, nominated).Reasons);

        // A pod of higher priority than the nominated one does not count it.
        var peer = PodInfo.Of(Make.Pod("peer", "1", priority: 200));
        state = new CycleState();
        Profile.RunPreFilter(state, peer, [node]);
        Assert.True(Profile.RunFilterWithNominatedPods(state, peer, node, nominated).IsSuccess);

        nominator.Set(preemptor, null);
        Assert.Equal(0, nominator.Count);
        Assert.True(Profile.RunFilterWithNominatedPods(state, low, node, nominator.Snapshot()).IsSuccess);
    }

    [Fact]
    public void Args_are_validated_as_upstream()
    {
        Assert.Empty(new DefaultPreemptionArgs().Validate());
        Assert.Equal(
            ["minCandidateNodesPercentage: Invalid value: 101: not in valid range [0, 100]", "minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)"],
            new DefaultPreemptionArgs { MinCandidateNodesPercentage = 101, MinCandidateNodesAbsolute = -1 }.Validate());
        Assert.Single(new DefaultPreemptionArgs { MinCandidateNodesPercentage = 0, MinCandidateNodesAbsolute = 0 }.Validate());
        var plugin = new DefaultPreemption(new PluginHandle(Offline.Client));
        Assert.Equal((500, 100, 3), (plugin.NumCandidates(5000), plugin.NumCandidates(500), plugin.NumCandidates(3)));
        Assert.Throws<ArgumentException>(() => new DefaultPreemption(new PluginHandle(Offline.Client), new DefaultPreemptionArgs { MinCandidateNodesAbsolute = -1 }));
    }

    [Fact]
    public void Removing_a_victim_updates_the_affinity_state_of_the_cycle_copy_only()
    {
        // The pod refuses to share a host with app=x; the only node holds a low-priority app=x pod.
        var blocker = Labeled(Make.Pod("blocker", "100m", node: "n1", priority: 0), "x");
        var node = Make.Info(Make.Node("n1"), blocker);
        var pod = Make.Pod("p", "100m", priority: 10, spec: s => s.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "x" } } },
                ],
            },
        });
        var (context, state, info) = Prepare(pod, null, node);
        Assert.Equal(["node(s) didn't match pod anti-affinity rules"], Profile.RunFilter(state, info, node).Reasons);

        var (victims, _, status) = DefaultPreemption.SelectVictimsOnNode(context, state.Clone(), info, node.Clone(), []);

        Assert.True(status.IsSuccess, status.ToString());
        Assert.Equal(["blocker"], victims.Select(v => v.Pod.Metadata.Name));
        // The original state still counts the blocker.
        Assert.False(Profile.RunFilter(state, info, node).IsSuccess);
    }
}
