using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>
/// kubectl's commands built on client-go's typed clients send protobuf bodies. Each typed generator of
/// <c>kubectl create</c> is run for real, and its JSON twin (the same command's <c>--dry-run=client -o json</c>,
/// created with <c>create -f</c>) in another namespace: the two stored objects must be equal, and carry the
/// fields the command set. <c>drain</c> sends its DeleteOptions as protobuf.
/// </summary>
public abstract partial class KubectlTests<TFixture>
{
    private const string Protobuf = "Content-Type: application/vnd.kubernetes.protobuf";

    private static readonly string[] ClusterScoped = ["namespace", "clusterrole", "clusterrolebinding", "priorityclass"];

    [SkippableTheory]
    [MemberData(nameof(KubectlCreateCommands.Cases), MemberType = typeof(KubectlCreateCommands))]
    public async Task A_create_generator_sends_protobuf_and_stores_what_its_JSON_twin_stores(string name, string resource, string[] command, string[] checks)
    {
        var cluster = ClusterScoped.Contains(resource);
        var (pbName, jsonName) = cluster ? ($"pb-{name}", $"json-{name}") : ("x", "x");
        var pbNs = cluster ? null : await NamespaceAsync($"pb-{name}");
        var jsonNs = cluster ? null : await NamespaceAsync($"json-{name}");

        var (code, _, log) = await server.KubectlAsync(Create(command, pbName, pbNs, "-v=8"));
        Assert.True(code == 0, log);
        Assert.Contains(Protobuf, log, StringComparison.Ordinal);
        await OkAsync("create", "-f", WriteTemp(await OkAsync(Create(command, jsonName, jsonNs, "--dry-run=client", "-o", "json"))));
        var fromProtobuf = await GetForComparisonAsync(resource, pbName, pbNs);
        var fromJson = await GetForComparisonAsync(resource, jsonName, jsonNs);

        Assert.True(JsonNode.DeepEquals(fromProtobuf, fromJson), $"protobuf: {fromProtobuf.ToJsonString()}\njson:     {fromJson.ToJsonString()}");
        AssertFields(fromProtobuf, checks);
    }

    [SkippableFact]
    public async Task Create_job_from_a_cronjob_carries_a_full_pod_template_through_protobuf()
    {
        // The golden cron job sets pointers to zero on purpose; two of those zeros upstream's validation refuses
        // (a preStop sleep of 0 s, a probe grace period of 0): give those two legal values for the server.
        var golden = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Integration", "rich-cronjob.json")))!;
        var container = golden["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!["containers"]![0]!;
        container["lifecycle"]!["preStop"] = new JsonObject { ["exec"] = new JsonObject { ["command"] = new JsonArray("sh", "-c", "echo stop") } };
        container["livenessProbe"]!["terminationGracePeriodSeconds"] = 1;
        var rich = WriteTemp(golden.ToJsonString());
        var pbNs = await NamespaceAsync("pb-rich");
        var jsonNs = await NamespaceAsync("json-rich");
        await OkAsync("create", "-f", rich, "-n", pbNs);
        await OkAsync("create", "-f", rich, "-n", jsonNs);

        var (code, _, log) = await server.KubectlAsync("create", "job", "run", "--from=cronjob/rich", "-n", pbNs, "-v=8");
        Assert.True(code == 0, log);
        Assert.Contains(Protobuf, log, StringComparison.Ordinal);
        await OkAsync("create", "-f", WriteTemp(await OkAsync("create", "job", "run", "--from=cronjob/rich", "-n", jsonNs, "--dry-run=client", "-o", "json")));
        var fromProtobuf = await GetForComparisonAsync("job", "run", pbNs);
        var fromJson = await GetForComparisonAsync("job", "run", jsonNs);

        Assert.True(JsonNode.DeepEquals(fromProtobuf, fromJson), $"protobuf: {fromProtobuf.ToJsonString()}\njson:     {fromJson.ToJsonString()}");
        var pod = "/spec/template/spec";
        AssertFields(fromProtobuf,
        [
            "/metadata/annotations/cronjob.kubernetes.io~1instantiate=\"manual\"",
            "/metadata/ownerReferences/0/kind=\"CronJob\"",
            "/spec/podFailurePolicy/rules/0/onExitCodes/values=[1,42]",
            "/spec/backoffLimit=0",
            $"{pod}/automountServiceAccountToken=false",
            $"{pod}/hostUsers=false",
            $"{pod}/terminationGracePeriodSeconds=0",
            $"{pod}/securityContext/runAsUser=0",
            $"{pod}/securityContext/supplementalGroups=[0,1000,4294967295]",
            $"{pod}/containers/0/args=[\"--flag\",\"\",\"--x=1\"]",
            $"{pod}/containers/0/env/1={{\"name\":\"EMPTY\"}}",
            $"{pod}/containers/0/livenessProbe/httpGet/port=\"http\"",
            $"{pod}/containers/0/readinessProbe/tcpSocket/port=8080",
            $"{pod}/containers/0/resources/requests/ephemeral-storage=\"0\"",
            $"{pod}/imagePullSecrets=[{{\"name\":\"registry\"}},{{}}]",
            $"{pod}/volumes/0={{\"emptyDir\":{{}},\"name\":\"scratch\"}}",
            $"{pod}/volumes/10/csi/volumeAttributes={{\"empty\":\"\",\"size\":\"1Gi\"}}",
            $"{pod}/hostNetwork=absent",
        ]);
        Assert.Equal(24, fromProtobuf["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Count);
    }

    [SkippableFact]
    public async Task Drain_without_eviction_deletes_the_pods_with_protobuf_delete_options()
    {
        var ns = await NamespaceAsync("pb-drain");
        await OkAsync("create", "-f", WriteTemp("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"pb-drain-node"}}"""));
        await OkAsync("create", "-f", WriteTemp($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"{{{ns}}}"},"spec":{"nodeName":"pb-drain-node","containers":[{"name":"c","image":"busybox"}]}}"""));

        // gracePeriodSeconds=0 travels in the protobuf DeleteOptions: without it the pod, bound to a node, would wait for its kubelet.
        var (code, _, log) = await server.KubectlAsync("drain", "pb-drain-node", "--force", "--disable-eviction", "--grace-period=0", "--timeout=30s", "-v=8");

        Assert.True(code == 0, log);
        Assert.Contains(Protobuf, log, StringComparison.Ordinal);
        var (getCode, _, stderr) = await server.KubectlAsync("get", "pod", "p", "-n", ns);
        Assert.NotEqual(0, getCode);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);
        Assert.Equal("true", await OkAsync("get", "node", "pb-drain-node", "-o", "jsonpath={.spec.unschedulable}"));
    }

    /// <summary>The create command with its name, namespace and flags, which go before a "--" that starts a container command.</summary>
    private static string[] Create(string[] command, string name, string? ns, params string[] flags)
    {
        var split = Array.IndexOf(command, "--");
        var head = split < 0 ? command : command[..split];
        var tail = split < 0 ? [] : command[split..];
        return ["create", .. head.Select(a => a == "NAME" ? name : a), .. ns is null ? [] : new[] { "-n", ns }, .. flags, .. tail];
    }

    /// <summary>The object as kubectl prints it, less what differs between two creations (identity, times, names, uids).</summary>
    private async Task<JsonNode> GetForComparisonAsync(string resource, string name, string? ns)
    {
        var text = await OkAsync(["get", resource, name, .. ns is null ? [] : new[] { "-n", ns }, "-o", "json"]);
        var obj = JsonNode.Parse(Regex.Replace(text, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UID"))!.AsObject();
        var meta = obj["metadata"]!.AsObject();
        foreach (var field in new[] { "uid", "resourceVersion", "creationTimestamp", "namespace", "managedFields" })
        {
            meta.Remove(field);
        }

        if (ns is null)
        {
            meta.Remove("name");
        }

        if (obj["spec"] is JsonObject spec && resource == "service")
        {
            // Allocated by the server, so never the same twice.
            spec.Remove("clusterIP");
            spec.Remove("clusterIPs");
        }

        return obj;
    }

    private static void AssertFields(JsonNode obj, string[] checks)
    {
        foreach (var check in checks)
        {
            var at = check.IndexOf('=', StringComparison.Ordinal);
            var (pointer, expected) = (check[..at], check[(at + 1)..]);
            var (found, actual) = Resolve(obj, pointer);
            if (expected == "absent")
            {
                Assert.False(found, $"{pointer} should be absent, is {actual?.ToJsonString()}");
                continue;
            }

            Assert.True(found, $"{pointer} is missing from {obj.ToJsonString()}");
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"{pointer}: expected {expected}, got {actual?.ToJsonString() ?? "null"}");
        }
    }

    private static (bool Found, JsonNode? Node) Resolve(JsonNode obj, string pointer)
    {
        JsonNode? node = obj;
        foreach (var raw in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            switch (node)
            {
                case JsonObject o when o.TryGetPropertyValue(segment, out var child):
                    node = child;
                    break;
                case JsonArray a when int.TryParse(segment, out var i) && i < a.Count:
                    node = a[i];
                    break;
                default:
                    return (false, null);
            }
        }

        return (true, node);
    }
}

/// <summary>The typed generators of <c>kubectl create</c>, with what each must set.</summary>
public static class KubectlCreateCommands
{
    // Case, resource to get, the create command ("NAME" is the object's name), and checks "/json/pointer=json"
    // ("absent" for a field that must not be there).
    public static TheoryData<string, string, string[], string[]> Cases => new()
    {
        { "configmap", "configmap", ["configmap", "NAME", "--from-literal=a=b", "--from-literal=empty="], ["/data/a=\"b\"", "/data/empty=\"\""] },
        { "secret", "secret", ["secret", "generic", "NAME", "--from-literal=a=b", "--type=example.com/t"], ["/data/a=\"Yg==\"", "/type=\"example.com/t\""] },
        { "deployment", "deployment", ["deployment", "NAME", "--image=nginx:1.25", "--port=80", "--replicas=0"], ["/spec/replicas=0", "/spec/template/spec/containers/0/ports/0/containerPort=80", "/spec/template/spec/containers/0/image=\"nginx:1.25\"", "/spec/template/spec/hostNetwork=absent"] },
        { "service", "service", ["service", "clusterip", "NAME", "--tcp=80:8080"], ["/spec/ports/0/port=80", "/spec/ports/0/targetPort=8080", "/spec/type=\"ClusterIP\""] },
        { "namespace", "namespace", ["namespace", "NAME"], ["/status/phase=\"Active\""] },
        { "serviceaccount", "serviceaccount", ["serviceaccount", "NAME"], ["/kind=\"ServiceAccount\""] },
        { "job", "job", ["job", "NAME", "--image=busybox", "--", "echo", "hi"], ["/spec/template/spec/containers/0/command=[\"echo\",\"hi\"]", "/spec/template/spec/restartPolicy=\"Never\""] },
        { "cronjob", "cronjob", ["cronjob", "NAME", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"], ["/spec/schedule=\"*/5 * * * *\"", "/spec/jobTemplate/spec/template/spec/restartPolicy=\"OnFailure\""] },
        { "role", "role", ["role", "NAME", "--verb=get,list", "--resource=pods,deployments.apps"], ["/rules/0/verbs=[\"get\",\"list\"]", "/rules/1/apiGroups=[\"apps\"]"] },
        { "rolebinding", "rolebinding", ["rolebinding", "NAME", "--role=r", "--user=u", "--serviceaccount=other:sa"], ["/roleRef={\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"r\"}", "/subjects/1={\"kind\":\"ServiceAccount\",\"name\":\"sa\",\"namespace\":\"other\"}"] },
        { "clusterrole", "clusterrole", ["clusterrole", "NAME", "--verb=get", "--non-resource-url=/logs/*"], ["/rules=[{\"nonResourceURLs\":[\"/logs/*\"],\"verbs\":[\"get\"]}]"] },
        { "aggregated-clusterrole", "clusterrole", ["clusterrole", "NAME", "--aggregation-rule=a=b"], ["/aggregationRule/clusterRoleSelectors/0/matchLabels={\"a\":\"b\"}", "/rules=null"] },
        { "clusterrolebinding", "clusterrolebinding", ["clusterrolebinding", "NAME", "--clusterrole=view", "--group=g"], ["/roleRef/name=\"view\"", "/subjects/0={\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\"g\"}"] },
        { "quota", "resourcequota", ["quota", "NAME", "--hard=pods=2,requests.cpu=500m", "--scopes=BestEffort"], ["/spec/hard={\"pods\":\"2\",\"requests.cpu\":\"500m\"}", "/spec/scopes=[\"BestEffort\"]"] },
        { "priorityclass", "priorityclass", ["priorityclass", "NAME", "--value=0", "--preemption-policy=Never"], ["/value=0", "/preemptionPolicy=\"Never\"", "/globalDefault=absent"] },
        { "poddisruptionbudget", "poddisruptionbudget", ["poddisruptionbudget", "NAME", "--selector=app=web", "--min-available=50%"], ["/spec/minAvailable=\"50%\"", "/spec/selector/matchLabels={\"app\":\"web\"}"] },
    };
}
