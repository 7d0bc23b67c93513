using Kubesharp.Scheduler.Configuration;

namespace Kubesharp.Scheduler.Tests.Configuration;

/// <summary>Every refusal, each with the field path and wording upstream's validation uses.</summary>
public sealed class ValidationTests
{
    private const string Header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

    private static IReadOnlyList<string> Errors(string yaml)
    {
        var e = Assert.Throws<SchedulerConfigurationException>(() => SchedulerConfigurationLoader.Load(yaml, "bad.yaml"));
        Assert.StartsWith("invalid KubeSchedulerConfiguration bad.yaml: ", e.Message, StringComparison.Ordinal);
        return e.Errors;
    }

    private static string Profile(string body) => Header + "profiles:\n- " + string.Join("\n  ", body.Split('\n')) + "\n";

    public static TheoryData<string, string, string> Cases => new()
    {
        { "wrong apiVersion", "apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n", "apiVersion: Unsupported value: \"kubescheduler.config.k8s.io/v1beta3\": supported values: \"kubescheduler.config.k8s.io/v1\"" },
        { "no apiVersion", "kind: KubeSchedulerConfiguration\n", "apiVersion: Required value: must be kubescheduler.config.k8s.io/v1" },
        { "wrong kind", "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeProxyConfiguration\n", "kind: Unsupported value: \"KubeProxyConfiguration\": supported values: \"KubeSchedulerConfiguration\"" },
        { "not a mapping", "- a\n- b\n", "the document must be a mapping" },
        { "unknown root field", Header + "percentageOfNodes: 10\n", "percentageOfNodes: unknown field" },
        { "unknown nested field", Header + "leaderElection:\n  leaderElection: true\n", "leaderElection.leaderElection: unknown field" },
        { "unknown extension point", Profile("plugins:\n  scor:\n    enabled: []"), "profiles[0].plugins.scor: unknown field" },
        { "unknown plugin field", Profile("plugins:\n  score:\n    enabled:\n    - name: ImageLocality\n      wieght: 2"), "profiles[0].plugins.score.enabled[0].wieght: unknown field" },
        { "repeated key", Header + "percentageOfNodesToScore: 10\npercentageOfNodesToScore: 20\n", "line 4: key \"percentageOfNodesToScore\" already set in map" },
        { "not YAML", Header + "profiles: [\n", "line 4: While parsing a node, did not find expected node content." },
        { "a string for a number", Header + "percentageOfNodesToScore: ten\n", "percentageOfNodesToScore: Invalid value: \"ten\": must be an integer" },
        { "a number for a boolean", Header + "leaderElection:\n  leaderElect: 1\n", "leaderElection.leaderElect: Invalid value: 1: must be a boolean" },
        { "a bad duration", Header + "leaderElection:\n  leaseDuration: 15 seconds\n", "leaderElection.leaseDuration: Invalid value: \"15 seconds\": must be a duration such as 15s, 1m30s or 500ms" },
        { "global percentage over 100", Header + "percentageOfNodesToScore: 101\n", "percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]" },
        { "profile percentage below 0", Profile("percentageOfNodesToScore: -1"), "profiles[0].percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100]" },
        { "initial back-off 0", Header + "podInitialBackoffSeconds: 0\n", "podInitialBackoffSeconds: Invalid value: 0: must be greater than 0" },
        { "max back-off under the initial", Header + "podInitialBackoffSeconds: 5\npodMaxBackoffSeconds: 4\n", "podMaxBackoffSeconds: Invalid value: 4: must be greater than or equal to PodInitialBackoffSeconds" },
        { "parallelism 0", Header + "parallelism: 0\n", "parallelism: Invalid value: 0: should be an integer value greater than zero" },
        { "lease not longer than the renew deadline", Header + "leaderElection:\n  leaseDuration: 10s\n  renewDeadline: 10s\n", "leaderElection.leaseDuration: Invalid value: \"10s\": LeaseDuration must be greater than RenewDeadline" },
        { "zero retry period", Header + "leaderElection:\n  retryPeriod: 0s\n", "leaderElection.retryPeriod: Invalid value: \"0s\": must be greater than zero" },
        { "a lock other than leases", Header + "leaderElection:\n  resourceLock: endpointsleases\n", "leaderElection.resourceLock: Invalid value: \"endpointsleases\": resourceLock value must be \"leases\"" },
        { "extenders", Header + "extenders:\n- urlPrefix: http://x\n", "extenders: Forbidden: scheduler extenders are not supported by Kubesharp" },
        { "duplicate scheduler names", Header + "profiles:\n- schedulerName: a\n- schedulerName: b\n- schedulerName: a\n", "profiles[2].schedulerName: Duplicate value: \"a\" (also profiles[0].schedulerName)" },
        { "no scheduler name among several profiles", Header + "profiles:\n- schedulerName: a\n- plugins: {}\n", "profiles[1].schedulerName: Required value" },
        { "unknown plugin enabled", Profile("plugins:\n  filter:\n    enabled:\n    - name: NodeNamme"), "profiles[0].plugins.filter.enabled[0].name: Invalid value: \"NodeNamme\": no such plugin" },
        { "upstream plugin not implemented", Profile("plugins:\n  multiPoint:\n    enabled:\n    - name: VolumeBinding"), "profiles[0].plugins.multiPoint.enabled[0].name: Invalid value: \"VolumeBinding\": an upstream plugin that Kubesharp does not implement" },
        { "unknown plugin disabled", Profile("plugins:\n  score:\n    disabled:\n    - name: ImageLocalty"), "profiles[0].plugins.score.disabled[0].name: Invalid value: \"ImageLocalty\": no such plugin" },
        { "* enabled", Profile("plugins:\n  score:\n    enabled:\n    - name: '*'"), "profiles[0].plugins.score.enabled[0].name: Invalid value: \"*\": * may only be disabled" },
        { "a plugin at a point it does not extend", Profile("plugins:\n  score:\n    enabled:\n    - name: NodeName"), "profiles[0].plugins.score.enabled[0].name: Invalid value: \"NodeName\": plugin does not extend the score extension point" },
        { "a negative weight", Profile("plugins:\n  score:\n    enabled:\n    - name: ImageLocality\n      weight: -2"), "profiles[0].plugins.score.enabled[0].weight: Invalid value: -2: must not be negative (0 or none means 1)" },
        { "a weight past 32 bits", Profile("plugins:\n  score:\n    enabled:\n    - name: ImageLocality\n      weight: 3000000000"), "profiles[0].plugins.score.enabled[0].weight: Invalid value: 3000000000: must be a 32-bit integer" },
        { "a plugin twice at one point", Profile("plugins:\n  filter:\n    enabled:\n    - name: NodeName\n    - name: NodeName"), "profiles[0].plugins.filter.enabled[1]: Duplicate value: \"NodeName\"" },
        { "a plugin twice in multiPoint (the last entry replaces the default, the first is the extra one, as upstream merges)", Profile("plugins:\n  multiPoint:\n    enabled:\n    - name: ImageLocality\n    - name: ImageLocality"), "profiles[0].plugins.multiPoint.enabled[0]: Duplicate value: \"ImageLocality\"" },
        { "no bind plugin", Profile("schedulerName: lonely\nplugins:\n  bind:\n    disabled:\n    - name: '*'"), "profiles[0].plugins.bind: Required value: at least one bind plugin is needed for profile with scheduler name \"lonely\"" },
        { "a queue sort plugin", Profile("plugins:\n  queueSort:\n    enabled:\n    - name: PrioritySort"), "profiles[0].plugins.queueSort.enabled: Forbidden: Kubesharp runs no plugins at queueSort" },
        { "pluginConfig twice for a plugin", Profile("pluginConfig:\n- name: NodeResourcesFit\n- name: NodeResourcesFit"), "profiles[0].pluginConfig[1]: Duplicate value: \"NodeResourcesFit\"" },
        { "pluginConfig for an unknown plugin", Profile("pluginConfig:\n- name: NodeResourceFit\n  args: {}"), "profiles[0].pluginConfig[0].name: Invalid value: \"NodeResourceFit\": no such plugin" },
        { "args of another kind", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args:\n    kind: InterPodAffinityArgs"), "profiles[0].pluginConfig[0].args.kind: Invalid value: \"InterPodAffinityArgs\": has to match plugin args NodeResourcesFitArgs" },
        { "args that are not an object", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args: [1]"), "profiles[0].pluginConfig[0].args: Invalid value: \"array\": must be an object" },
        { "args for a plugin that takes none", Profile("pluginConfig:\n- name: NodeName\n  args:\n    foo: 1"), "profiles[0].pluginConfig[0].args: Invalid value: the plugin takes no args" },
        { "an unknown args field", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args:\n    scoringStrategy:\n      typ: MostAllocated"), "profiles[0].pluginConfig[0].args.scoringStrategy.typ: unknown field" },
        { "an unknown scoring strategy", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args:\n    scoringStrategy:\n      type: Spread"), "profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value: \"Spread\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\"" },
        { "a resource weight over 100", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args:\n    scoringStrategy:\n      resources:\n      - name: cpu\n        weight: 101"), "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight: Invalid value: 101: resource weight of cpu not in valid range (0, 100]" },
        { "RequestedToCapacityRatio without its shape", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args:\n    scoringStrategy:\n      type: RequestedToCapacityRatio"), "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio: Required value: must be specified when type is RequestedToCapacityRatio" },
        { "a shape out of order", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args:\n    scoringStrategy:\n      type: RequestedToCapacityRatio\n      requestedToCapacityRatio:\n        shape:\n        - {utilization: 50, score: 1}\n        - {utilization: 10, score: 11}"), "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization: Invalid value: 10: values must be sorted in increasing order" },
        { "a shape score over 10", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args:\n    scoringStrategy:\n      type: RequestedToCapacityRatio\n      requestedToCapacityRatio:\n        shape:\n        - {utilization: 50, score: 11}"), "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[0].score: Invalid value: 11: not in valid range [0, 10]" },
        { "a shape for another strategy", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args:\n    scoringStrategy:\n      type: MostAllocated\n      requestedToCapacityRatio: {}"), "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio: Forbidden: must be nil when type is not RequestedToCapacityRatio" },
        { "an ignored resource group with a slash", Profile("pluginConfig:\n- name: NodeResourcesFit\n  args:\n    ignoredResourceGroups: [example.com/gpu]"), "profiles[0].pluginConfig[0].args.ignoredResourceGroups[0]: Invalid value: \"example.com/gpu\": resource group name can't contain '/'" },
        { "a balanced resource weight other than 1", Profile("pluginConfig:\n- name: NodeResourcesBalancedAllocation\n  args:\n    resources:\n    - name: cpu\n      weight: 2"), "profiles[0].pluginConfig[0].args.resources[0].weight: Invalid value: 2: must be 1" },
        { "a balanced resource twice", Profile("pluginConfig:\n- name: NodeResourcesBalancedAllocation\n  args:\n    resources:\n    - name: cpu\n    - name: cpu"), "profiles[0].pluginConfig[0].args.resources[1].name: Duplicate value: \"cpu\"" },
        { "an added affinity with a bad operator", Profile("pluginConfig:\n- name: NodeAffinity\n  args:\n    addedAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {key: zone, operator: Is, values: [a]}"), "profiles[0].pluginConfig[0].args.addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: Unsupported value: \"Is\": supported values: \"DoesNotExist\", \"Exists\", \"Gt\", \"In\", \"Lt\", \"NotIn\"" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Refused_with_the_field_path(string name, string yaml, string expected)
    {
        var errors = Errors(yaml);

        Assert.True(errors.Contains(expected), $"{name}: expected\n  {expected}\namong\n  {string.Join("\n  ", errors)}");
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Errors(Header + "percentageOfNodesToScore: 101\npodInitialBackoffSeconds: 0\nbogus: true\n");

        Assert.Equal(3, errors.Count);

        var both = Errors(Header + "percentageOfNodesToScore: 101\nprofiles:\n- plugins:\n    score:\n      enabled:\n      - name: NodeName\n");
        Assert.Equal(
            ["percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]", "profiles[0].plugins.score.enabled[0].name: Invalid value: \"NodeName\": plugin does not extend the score extension point"],
            both);
    }

    [Fact]
    public void A_missing_file_is_refused_with_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.yaml");

        var e = Assert.Throws<SchedulerConfigurationException>(() => SchedulerConfigurationLoader.LoadFile(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Args_of_upstream_plugins_Kubesharp_lacks_are_accepted_and_ignored_as_upstream_ignores_args_of_plugins_it_does_not_run()
    {
        var config = SchedulerConfigurationLoader.Load(Profile("pluginConfig:\n- name: VolumeBinding\n  args:\n    bindTimeoutSeconds: 600"));

        Assert.Empty(config.Profiles.Single().Args);
    }
}
