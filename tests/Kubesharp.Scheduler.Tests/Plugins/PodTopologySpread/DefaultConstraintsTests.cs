using System.Text.Json;
using k8s;
using k8s.Models;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.PodTopologySpread;
using static Kubesharp.Scheduler.Tests.Plugins.PodTopologySpread.SpreadCluster;
using Plugin = Kubesharp.Scheduler.Plugins.PodTopologySpread.PodTopologySpread;

namespace Kubesharp.Scheduler.Tests.Plugins.PodTopologySpread;

public sealed class DefaultConstraintsTests
{
    // One hard default on hostname, so that the selector the defaults deduce shows in Filter's verdicts.
    private static readonly PodTopologySpreadArgs HardHostnameDefault = new()
    {
        DefaultingType = PodTopologySpreadArgs.ListDefaulting,
        DefaultConstraints = [Constraint(1, Host, Plugin.DoNotSchedule, null)],
    };

    private static readonly string[] ThreeHosts = [$"node-a {Host}=node-a", $"node-b {Host}=node-b", $"node-c {Host}=node-c"];

    // node-a: a pod labelled both app=web and tier=fe; node-b: app=web only; node-c: tier=fe only.
    private static readonly string[] Existing = ["a1@node-a app=web,tier=fe", "b1@node-b app=web", "c1@node-c tier=fe"];

    private static V1Service Service(string name, string selector, string ns = "default") =>
        new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns }, Spec = new V1ServiceSpec { Selector = Labels(selector) } };

    private static V1LabelSelector MatchLabels(string labels) => new() { MatchLabels = Labels(labels) };

    private static V1ReplicaSet ReplicaSet(V1LabelSelector selector) =>
        new() { Metadata = new V1ObjectMeta { Name = "owner", NamespaceProperty = "default" }, Spec = new V1ReplicaSetSpec { Selector = selector } };

    public static TheoryData<string, IKubernetesObject<V1ObjectMeta>[], string?, string[]> Cases => new()
    {
        { "a Service selecting app=web", [Service("web", "app=web")], null, ["skew", "skew", "ok"] },
        { "a Service selecting tier=fe", [Service("fe", "tier=fe")], null, ["skew", "ok", "skew"] },
        { "two Services: their selectors merged", [Service("web", "app=web"), Service("fe", "tier=fe")], null, ["skew", "ok", "ok"] },
        { "the controlling ReplicaSet's selector", [ReplicaSet(MatchLabels("app=web"))], "apps/v1/ReplicaSet", ["skew", "skew", "ok"] },
        {
            "a Service ANDed with the ReplicaSet's expressions",
            [Service("web", "app=web"), ReplicaSet(new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "Exists" }] })],
            "apps/v1/ReplicaSet", ["skew", "ok", "ok"]
        },
        {
            "the controlling StatefulSet's selector",
            [new V1StatefulSet { Metadata = new V1ObjectMeta { Name = "owner", NamespaceProperty = "default" }, Spec = new V1StatefulSetSpec { Selector = MatchLabels("tier=fe") } }],
            "apps/v1/StatefulSet", ["skew", "ok", "skew"]
        },
        {
            "the controlling ReplicationController's selector",
            [new V1ReplicationController { Metadata = new V1ObjectMeta { Name = "owner", NamespaceProperty = "default" }, Spec = new V1ReplicationControllerSpec { Selector = Labels("app=web") } }],
            "v1/ReplicationController", ["skew", "skew", "ok"]
        },
        { "an owner that is not in the cache adds nothing", [Service("fe", "tier=fe")], "apps/v1/ReplicaSet", ["skew", "ok", "skew"] },
        { "an owner of another kind adds nothing", [Service("fe", "tier=fe"), ReplicaSet(MatchLabels("app=web"))], "batch/v1/Job", ["skew", "ok", "skew"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Default_constraints_count_the_pods_that_select_the_pod_deduces(string name, IKubernetesObject<V1ObjectMeta>[] objects, string? owner, string[] expected)
    {
        var pod = Pod("app=web,tier=fe");
        if (owner is not null)
        {
            var slash = owner.LastIndexOf('/');
            pod.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = owner[..slash], Kind = owner[(slash + 1)..], Name = "owner", Uid = "u1", Controller = true }];
        }

        var plugin = NewPlugin(HardHostnameDefault, objects);
        var nodes = Build(ThreeHosts, Existing);
        var state = new CycleState();
        var info = PodInfo.Of(pod);
        Assert.True(plugin.PreFilter(state, info, nodes).Status.IsSuccess, name);

        var actual = nodes.Select(n => plugin.Filter(state, info, n)).Select(s => s.IsSuccess ? "ok" : "skew").ToArray();

        Assert.True(expected.SequenceEqual(actual), $"{name}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
    }

    public static TheoryData<string, V1Pod, IKubernetesObject<V1ObjectMeta>[]> SkipCases => new()
    {
        { "nothing selects the pod", Pod("app=web"), [Service("db", "app=db")] },
        { "a Service without a selector selects nothing", Pod("app=web"), [new V1Service { Metadata = new V1ObjectMeta { Name = "headless", NamespaceProperty = "default" }, Spec = new V1ServiceSpec() }] },
        { "a Service of another namespace", Pod("app=web"), [Service("web", "app=web", ns: "other")] },
        { "the pod's own constraints replace the defaults", Pod("app=web", Constraint(1, Host, Plugin.ScheduleAnyway, Exists("app"))), [Service("web", "app=web")] },
    };

    [Theory]
    [MemberData(nameof(SkipCases))]
    public void PreFilter_skips_when_no_hard_constraint_applies(string name, V1Pod pod, IKubernetesObject<V1ObjectMeta>[] objects)
    {
        var (status, _) = NewPlugin(HardHostnameDefault, objects).PreFilter(new CycleState(), PodInfo.Of(pod), Build(ThreeHosts, Existing));

        Assert.True(status.IsSkip, $"{name}: {status}");
    }

    [Fact]
    public void System_defaults_are_upstreams_and_only_score()
    {
        Assert.Equal(
            [(Host, 3, Plugin.ScheduleAnyway), ("topology.kubernetes.io/zone", 5, Plugin.ScheduleAnyway)],
            Plugin.SystemDefaultConstraints.Select(c => (c.TopologyKey, c.MaxSkew, c.WhenUnsatisfiable)));

        var (status, _) = NewPlugin(null, Service("web", "app=web")).PreFilter(new CycleState(), PodInfo.Of(Pod("app=web")), Build(ThreeHosts, Existing));
        Assert.True(status.IsSkip, status.ToString());
    }

    [Fact]
    public void The_defaults_need_listers_of_the_four_selecting_kinds()
    {
        var objects = new RecordingLister();
        _ = new Plugin(new PluginHandle(new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" }), objects));

        Assert.Equal([typeof(V1Service), typeof(V1ReplicationController), typeof(V1ReplicaSet), typeof(V1StatefulSet)], objects.Required);
    }

    public static TheoryData<string, PodTopologySpreadArgs, string[]> ValidationCases => new()
    {
        { "the defaults", new PodTopologySpreadArgs(), [] },
        { "List without constraints", new PodTopologySpreadArgs { DefaultingType = "List" }, [] },
        { "empty defaulting type means System", new PodTopologySpreadArgs { DefaultingType = "" }, [] },
        { "an unknown defaulting type", new PodTopologySpreadArgs { DefaultingType = "Foo" }, ["defaultingType: Unsupported value: \"Foo\": supported values: \"System\", \"List\""] },
        {
            "System with constraints",
            new PodTopologySpreadArgs { DefaultConstraints = [Constraint(1, "zone", Plugin.ScheduleAnyway, null)] },
            ["defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty"]
        },
        {
            "each field of a constraint",
            new PodTopologySpreadArgs
            {
                DefaultingType = "List",
                DefaultConstraints =
                [
                    Constraint(0, "", "", Exists("app")),
                    Constraint(1, "bad key!", "Sometimes", null),
                    Constraint(2, "zone", Plugin.DoNotSchedule, null),
                    Constraint(3, "zone", Plugin.DoNotSchedule, null),
                ],
            },
            [
                "defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf)",
                "defaultConstraints[0].topologyKey: Required value: can not be empty",
                "defaultConstraints[0].whenUnsatisfiable: Required value: can not be empty",
                "defaultConstraints[0].labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod",
                "defaultConstraints[1].topologyKey: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                "defaultConstraints[1].whenUnsatisfiable: Unsupported value: \"Sometimes\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
                "defaultConstraints[3]: Duplicate value: \"{zone, DoNotSchedule}\"",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(ValidationCases))]
    public void Args_are_validated_with_upstreams_messages(string name, PodTopologySpreadArgs args, string[] expected)
    {
        var errors = args.Validate();

        Assert.True(expected.SequenceEqual(errors), $"{name}: got [{string.Join(" | ", errors)}]");
    }

    [Fact]
    public void Invalid_args_fail_the_plugins_construction()
    {
        var e = Assert.Throws<ArgumentException>(() => NewPlugin(new PodTopologySpreadArgs { DefaultingType = "Foo" }));

        Assert.Contains("defaultingType: Unsupported value: \"Foo\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Args_read_from_upstreams_json_with_web_defaults()
    {
        const string json = """{"defaultingType":"List","defaultConstraints":[{"maxSkew":2,"topologyKey":"zone","whenUnsatisfiable":"ScheduleAnyway"}]}""";

        var args = JsonSerializer.Deserialize<PodTopologySpreadArgs>(json, JsonSerializerOptions.Web)!;

        Assert.Equal(PodTopologySpreadArgs.ListDefaulting, args.DefaultingType);
        Assert.Equal(("zone", 2, Plugin.ScheduleAnyway), (args.DefaultConstraints[0].TopologyKey, args.DefaultConstraints[0].MaxSkew, args.DefaultConstraints[0].WhenUnsatisfiable));
        Assert.Empty(args.Validate());
    }

    private sealed class RecordingLister : IObjectLister
    {
        public List<Type> Required { get; } = [];

        public void Require<T>()
            where T : class, IKubernetesObject<V1ObjectMeta> => Required.Add(typeof(T));

        public IReadOnlyList<T> List<T>(string? ns = null)
            where T : class, IKubernetesObject<V1ObjectMeta> => [];

        public T? Get<T>(string? ns, string name)
            where T : class, IKubernetesObject<V1ObjectMeta> => null;
    }
}
