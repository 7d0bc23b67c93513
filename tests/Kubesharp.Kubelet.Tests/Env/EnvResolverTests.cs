using System.Text;
using k8s;
using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Kubelet.Env;
using Kubesharp.Kubelet.Tests.Volumes;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Kubelet.Tests.Env;

public sealed class EnvResolverTests(InputsApiFixture api) : IClassFixture<InputsApiFixture>
{
    private static readonly Dictionary<string, ResourceQuantity> Allocatable = new()
    {
        ["cpu"] = new ResourceQuantity("4"),
        ["memory"] = new ResourceQuantity("8Gi"),
        ["ephemeral-storage"] = new ResourceQuantity("100Gi"),
    };

    private static V1Pod Pod(string ns, V1Container container) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "web",
            NamespaceProperty = ns,
            Uid = "uid-1",
            Labels = new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" },
            Annotations = new Dictionary<string, string> { ["note"] = "hi" },
        },
        Spec = new V1PodSpec { NodeName = "node-a", ServiceAccountName = "builder", Containers = [container] },
    };

    private static V1EnvVar Field(string name, string path) => new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = path } } };

    private static V1EnvVar Resource(string name, string resource, string? divisor = null, string? container = null) => new()
    {
        Name = name,
        ValueFrom = new V1EnvVarSource { ResourceFieldRef = new V1ResourceFieldSelector { Resource = resource, Divisor = divisor is null ? null : new ResourceQuantity(divisor), ContainerName = container } },
    };

    private async Task<IReadOnlyList<(string, string)>> ResolveAsync(V1Pod pod, IEventRecorder? events = null)
    {
        using var client = api.Client();
        var resolver = new EnvResolver(client, new FakeTimeProvider(), events, logger: null);
        var env = await resolver.ResolveAsync(pod, pod.Spec.Containers[0], "10.42.0.7", "192.168.1.5", Allocatable, CancellationToken.None);
        return [.. env.Select(kv => (kv.Key, kv.Value))];
    }

    [Fact]
    public async Task EnvFrom_comes_first_then_env_in_order_with_expansion_against_earlier_variables()
    {
        var ns = await api.NamespaceAsync("env-order");
        using var client = api.Client();
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "base" }, Data = new Dictionary<string, string> { ["HOST"] = "db", ["PORT"] = "5432", ["1bad"] = "x", ["dotted.key"] = "ok" } }, ns);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "creds" }, Data = new Dictionary<string, byte[]> { ["USER"] = Encoding.UTF8.GetBytes("admin") } }, ns);
        var container = new V1Container
        {
            Name = "app",
            EnvFrom =
            [
                new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "base" } },
                new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = "creds" }, Prefix = "DB_" },
                new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "absent", Optional = true } },
            ],
            Env =
            [
                new V1EnvVar { Name = "URL", Value = "$(DB_USER)@$(HOST):$(PORT)/$(LATER)" },
                new V1EnvVar { Name = "LATER", Value = "late" },
                new V1EnvVar { Name = "PORT", Value = "6543" },
                new V1EnvVar { Name = "ESCAPED", Value = "$$(HOST)" },
                new V1EnvVar { Name = "EMPTY" },
            ],
        };
        var events = new RecordingEvents();

        var env = await ResolveAsync(Pod(ns, container), events);

        Assert.Equal(
            [("HOST", "db"), ("PORT", "6543"), ("dotted.key", "ok"), ("DB_USER", "admin"), ("URL", "admin@db:5432/$(LATER)"), ("LATER", "late"), ("ESCAPED", "$(HOST)"), ("EMPTY", "")],
            env);
        var ev = Assert.Single(events.Events);
        Assert.Equal(("Warning", "InvalidEnvironmentVariableNames", $"Keys [1bad] from the EnvFrom configMap {ns}/base were skipped since they are considered invalid environment variable names."), ev);
    }

    [Fact]
    public async Task Field_refs_resolve_metadata_spec_and_status()
    {
        var container = new V1Container
        {
            Name = "app",
            Env =
            [
                Field("NAME", "metadata.name"), Field("NS", "metadata.namespace"), Field("UID", "metadata.uid"),
                Field("APP", "metadata.labels['app']"), Field("NOTE", "metadata.annotations['note']"), Field("LABELS", "metadata.labels"),
                Field("NODE", "spec.nodeName"), Field("SA", "spec.serviceAccountName"),
                Field("HOST_IP", "status.hostIP"), Field("HOST_IPS", "status.hostIPs"), Field("POD_IP", "status.podIP"), Field("POD_IPS", "status.podIPs"),
            ],
        };

        var env = await ResolveAsync(Pod("ns1", container));

        Assert.Equal(
            [("NAME", "web"), ("NS", "ns1"), ("UID", "uid-1"), ("APP", "web"), ("NOTE", "hi"), ("LABELS", "app=\"web\"\ntier=\"front\""),
                ("NODE", "node-a"), ("SA", "builder"), ("HOST_IP", "192.168.1.5"), ("HOST_IPS", "192.168.1.5"), ("POD_IP", "10.42.0.7"), ("POD_IPS", "10.42.0.7")],
            env);
    }

    [Fact]
    public async Task An_unsupported_field_ref_fails_with_upstreams_message()
    {
        var e = await Assert.ThrowsAsync<EnvResolutionException>(() => ResolveAsync(Pod("ns1", new V1Container { Name = "app", Env = [Field("X", "spec.hostname")] })));
        Assert.Equal("field label not supported: spec.hostname", e.Message);
    }

    [Fact]
    public async Task Resource_field_refs_use_divisors_round_up_and_default_limits_to_allocatable()
    {
        var container = new V1Container
        {
            Name = "app",
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m"), ["memory"] = new("100Mi") },
                Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1500m") },
            },
            Env =
            [
                Resource("CPU_LIMIT", "limits.cpu"), Resource("CPU_LIMIT_M", "limits.cpu", "1m"), Resource("CPU_REQ", "requests.cpu"),
                Resource("MEM_REQ_MI", "requests.memory", "1Mi"), Resource("MEM_REQ", "requests.memory"), Resource("MEM_LIMIT_GI", "limits.memory", "1Gi"),
                Resource("STORAGE_LIMIT_GI", "limits.ephemeral-storage", "1Gi"), Resource("STORAGE_REQ", "requests.ephemeral-storage"),
                Resource("SIDE_CPU", "limits.cpu", "1m", "side"),
            ],
        };
        var pod = Pod("ns1", container);
        pod.Spec.Containers.Add(new V1Container { Name = "side", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("300m") } } });

        var env = await ResolveAsync(pod);

        Assert.Equal(
            [("CPU_LIMIT", "2"), ("CPU_LIMIT_M", "1500"), ("CPU_REQ", "1"), ("MEM_REQ_MI", "100"), ("MEM_REQ", "104857600"), ("MEM_LIMIT_GI", "8"),
                ("STORAGE_LIMIT_GI", "100"), ("STORAGE_REQ", "0"), ("SIDE_CPU", "300")],
            env);
    }

    [Fact]
    public async Task Key_refs_read_configmaps_and_secrets_and_skip_optional_ones()
    {
        var ns = await api.NamespaceAsync("env-keys");
        using var client = api.Client();
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" }, Data = new Dictionary<string, string> { ["mode"] = "fast" } }, ns);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "sec" }, Data = new Dictionary<string, byte[]> { ["pw"] = Encoding.UTF8.GetBytes("s3cret") } }, ns);
        var container = new V1Container
        {
            Name = "app",
            Env =
            [
                new V1EnvVar { Name = "MODE", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cfg", Key = "mode" } } },
                new V1EnvVar { Name = "PW", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "sec", Key = "pw" } } },
                new V1EnvVar { Name = "NOKEY", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cfg", Key = "absent", Optional = true } } },
                new V1EnvVar { Name = "NOOBJ", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "absent", Key = "pw", Optional = true } } },
            ],
        };

        Assert.Equal([("MODE", "fast"), ("PW", "s3cret")], await ResolveAsync(Pod(ns, container)));
    }

    public static TheoryData<string, V1EnvVar?, V1EnvFromSource?, string> Failures() => new()
    {
        { "configMapKeyRef to a missing ConfigMap", new V1EnvVar { Name = "A", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "nope", Key = "k" } } }, null, "configmap \"nope\" not found" },
        { "configMapKeyRef to a missing key", new V1EnvVar { Name = "A", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cfg", Key = "k" } } }, null, "couldn't find key k in ConfigMap {ns}/cfg" },
        { "secretKeyRef to a missing Secret", new V1EnvVar { Name = "A", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "nope", Key = "k" } } }, null, "secret \"nope\" not found" },
        { "secretKeyRef to a missing key", new V1EnvVar { Name = "A", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "sec", Key = "k" } } }, null, "couldn't find key k in Secret {ns}/sec" },
        { "envFrom a missing ConfigMap", null, new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "nope" } }, "configmap \"nope\" not found" },
        { "envFrom a missing Secret", null, new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = "nope" } }, "secret \"nope\" not found" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Missing_objects_and_keys_fail_with_upstreams_messages(string because, V1EnvVar? env, V1EnvFromSource? envFrom, string message)
    {
        var ns = await api.NamespaceAsync("env-fail");
        using var client = api.Client();
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" }, Data = new Dictionary<string, string> { ["x"] = "1" } }, ns);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "sec" }, Data = new Dictionary<string, byte[]> { ["x"] = [1] } }, ns);
        var container = new V1Container { Name = "app", Env = env is null ? [] : [env], EnvFrom = envFrom is null ? [] : [envFrom] };

        var e = await Assert.ThrowsAsync<EnvResolutionException>(() => ResolveAsync(Pod(ns, container)));

        Assert.True(message.Replace("{ns}", ns, StringComparison.Ordinal) == e.Message, $"{because}: got {e.Message}");
    }

    private sealed class RecordingEvents : IEventRecorder
    {
        public List<(string Type, string Reason, string Message)> Events { get; } = [];

        public void Event(V1ObjectReference involvedObject, string type, string reason, string message) => Events.Add((type, reason, message));
    }
}
