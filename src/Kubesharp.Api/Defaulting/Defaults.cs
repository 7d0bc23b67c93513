using System.Text.Json.Nodes;

namespace Kubesharp.Api.Defaulting;

/// <summary>
/// Upstream's defaulting of the built-in kinds (<c>pkg/apis/*/v1/defaults.go</c>), applied to the JSON
/// of an object on create and on update, so that stored objects look as upstream stores them. Only
/// fields that are absent are set; nothing a client sent is changed. Stateless and thread-safe.
/// </summary>
public static class Defaults
{
    /// <summary>Applies the defaults of <paramref name="group"/>/<paramref name="kind"/> in place.</summary>
    public static void Apply(string group, string kind, JsonObject obj)
    {
        switch (group, kind)
        {
            case ("", "Pod"):
                PodSpec(Object(obj, "spec"));
                NonNegativeGracePeriod(Object(obj, "spec"));
                break;
            case ("", "Service"):
                Service(Object(obj, "spec"));
                break;
            case ("", "ReplicationController"):
                ReplicationController(Object(obj, "spec"));
                Template(obj);
                break;
            case ("", "Secret"):
                SetIfAbsent(obj, "type", "Opaque");
                break;
            case ("apps", "Deployment"):
                Deployment(Object(obj, "spec"));
                Template(obj);
                break;
            case ("apps", "ReplicaSet"):
                SetIfAbsent(Object(obj, "spec"), "replicas", 1);
                Template(obj);
                break;
            case ("apps", "StatefulSet"):
                StatefulSet(Object(obj, "spec"));
                Template(obj);
                break;
            case ("apps", "DaemonSet"):
                DaemonSet(Object(obj, "spec"));
                Template(obj);
                break;
            case ("batch", "Job"):
                Job(Object(obj, "spec"));
                Template(obj);
                break;
            case ("batch", "CronJob"):
                CronJob(Object(obj, "spec"));
                break;
        }
    }

    /// <summary>
    /// Upstream's pod strategy (since kubernetes PR 115606) stores a negative terminationGracePeriodSeconds of a
    /// pod as 1 rather than refusing it; pod templates keep what they were given.
    /// </summary>
    private static void NonNegativeGracePeriod(JsonObject spec)
    {
        if (spec["terminationGracePeriodSeconds"] is JsonValue v && v.TryGetValue<long>(out var grace) && grace < 0)
        {
            spec["terminationGracePeriodSeconds"] = 1;
        }
    }

    /// <summary>The status a new pod starts with: Pending, with its QoS class.</summary>
    public static void NewPodStatus(JsonObject pod)
    {
        var status = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(pod["spec"] as JsonObject) };
        pod["status"] = status;
    }

    private static void Template(JsonObject obj)
    {
        if (obj["spec"]?["template"]?["spec"] is JsonObject podSpec)
        {
            PodSpec(podSpec);
        }
    }

    private static void PodSpec(JsonObject spec)
    {
        SetIfAbsent(spec, "restartPolicy", "Always");
        SetIfAbsent(spec, "dnsPolicy", "ClusterFirst");
        SetIfAbsent(spec, "terminationGracePeriodSeconds", 30);
        SetIfAbsent(spec, "schedulerName", "default-scheduler");
        SetIfAbsent(spec, "enableServiceLinks", true);
        SetIfAbsent(spec, "securityContext", new JsonObject());
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec[list] is JsonArray containers)
            {
                foreach (var c in containers.OfType<JsonObject>())
                {
                    Container(c);
                }
            }
        }
    }

    private static void Container(JsonObject c)
    {
        SetIfAbsent(c, "terminationMessagePath", "/dev/termination-log");
        SetIfAbsent(c, "terminationMessagePolicy", "File");
        SetIfAbsent(c, "resources", new JsonObject());
        if (c["imagePullPolicy"] is null)
        {
            c["imagePullPolicy"] = PullPolicy(c["image"]?.GetValue<string>() ?? "");
        }

        if (c["ports"] is JsonArray ports)
        {
            foreach (var p in ports.OfType<JsonObject>())
            {
                SetIfAbsent(p, "protocol", "TCP");
            }
        }

        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            if (c[probe] is JsonObject p)
            {
                Probe(p);
            }
        }

        if (c["lifecycle"] is JsonObject lifecycle)
        {
            foreach (var hook in new[] { "postStart", "preStop" })
            {
                HttpGet(lifecycle[hook]?["httpGet"] as JsonObject);
            }
        }

        if (c["env"] is JsonArray env)
        {
            foreach (var e in env.OfType<JsonObject>())
            {
                if (e["valueFrom"]?["fieldRef"] is JsonObject fieldRef)
                {
                    SetIfAbsent(fieldRef, "apiVersion", "v1");
                }
            }
        }
    }

    /// <summary>Upstream's <c>SetDefaults_Probe</c> and <c>SetDefaults_HTTPGetAction</c>.</summary>
    private static void Probe(JsonObject probe)
    {
        SetIfAbsent(probe, "timeoutSeconds", 1);
        SetIfAbsent(probe, "periodSeconds", 10);
        SetIfAbsent(probe, "successThreshold", 1);
        SetIfAbsent(probe, "failureThreshold", 3);
        HttpGet(probe["httpGet"] as JsonObject);
    }

    private static void HttpGet(JsonObject? action)
    {
        if (action is not null)
        {
            SetIfAbsent(action, "path", "/");
            SetIfAbsent(action, "scheme", "HTTP");
        }
    }

    /// <summary>Upstream: <c>Always</c> for <c>:latest</c> or an untagged image, else <c>IfNotPresent</c>.</summary>
    internal static string PullPolicy(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        var lastSlash = image.LastIndexOf('/');
        var colon = image.IndexOf(':', lastSlash + 1);
        var tag = colon < 0 ? "" : image[(colon + 1)..];
        return tag is "" or "latest" ? "Always" : "IfNotPresent";
    }

    private static void Service(JsonObject spec)
    {
        SetIfAbsent(spec, "type", "ClusterIP");
        SetIfAbsent(spec, "sessionAffinity", "None");
        var type = spec["type"]?.GetValue<string>();
        if (type is "ClusterIP" or "NodePort" or "LoadBalancer")
        {
            SetIfAbsent(spec, "internalTrafficPolicy", "Cluster");
        }

        if (type is "NodePort" or "LoadBalancer" || spec["externalIPs"] is JsonArray { Count: > 0 })
        {
            SetIfAbsent(spec, "externalTrafficPolicy", "Cluster");
        }

        if (type == "LoadBalancer")
        {
            SetIfAbsent(spec, "allocateLoadBalancerNodePorts", true);
        }

        if (spec["sessionAffinity"]?.GetValue<string>() == "ClientIP")
        {
            SetIfAbsent(Object(Object(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds", 10800);
        }
        if (spec["ports"] is JsonArray ports)
        {
            foreach (var p in ports.OfType<JsonObject>())
            {
                SetIfAbsent(p, "protocol", "TCP");
                if (p["targetPort"] is null && p["port"] is { } port)
                {
                    p["targetPort"] = port.DeepClone();
                }
            }
        }
    }

    private static void Deployment(JsonObject spec)
    {
        SetIfAbsent(spec, "replicas", 1);
        SetIfAbsent(spec, "revisionHistoryLimit", 10);
        SetIfAbsent(spec, "progressDeadlineSeconds", 600);
        var strategy = Object(spec, "strategy");
        SetIfAbsent(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = Object(strategy, "rollingUpdate");
            SetIfAbsent(rolling, "maxUnavailable", "25%");
            SetIfAbsent(rolling, "maxSurge", "25%");
        }
    }

    private static void StatefulSet(JsonObject spec)
    {
        SetIfAbsent(spec, "replicas", 1);
        SetIfAbsent(spec, "revisionHistoryLimit", 10);
        SetIfAbsent(spec, "podManagementPolicy", "OrderedReady");
        var strategy = Object(spec, "updateStrategy");
        SetIfAbsent(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            SetIfAbsent(Object(strategy, "rollingUpdate"), "partition", 0);
        }

        var retention = Object(spec, "persistentVolumeClaimRetentionPolicy");
        SetIfAbsent(retention, "whenDeleted", "Retain");
        SetIfAbsent(retention, "whenScaled", "Retain");
    }

    private static void DaemonSet(JsonObject spec)
    {
        SetIfAbsent(spec, "revisionHistoryLimit", 10);
        var strategy = Object(spec, "updateStrategy");
        SetIfAbsent(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = Object(strategy, "rollingUpdate");
            SetIfAbsent(rolling, "maxUnavailable", 1);
            SetIfAbsent(rolling, "maxSurge", 0);
        }
    }

    /// <summary>Upstream's <c>SetDefaults_ReplicationController</c>: the selector and labels come from the template's labels.</summary>
    private static void ReplicationController(JsonObject spec)
    {
        SetIfAbsent(spec, "replicas", 1);
        if (spec["template"]?["metadata"]?["labels"] is JsonObject { Count: > 0 } labels && spec["selector"] is not JsonObject { Count: > 0 })
        {
            spec["selector"] = labels.DeepClone();
        }
    }

    /// <summary>Upstream's <c>SetDefaults_CronJob</c>, and the pod defaults of its job template.</summary>
    private static void CronJob(JsonObject spec)
    {
        SetIfAbsent(spec, "concurrencyPolicy", "Allow");
        SetIfAbsent(spec, "suspend", false);
        SetIfAbsent(spec, "successfulJobsHistoryLimit", 3);
        SetIfAbsent(spec, "failedJobsHistoryLimit", 1);
        // Upstream defaults the job's own fields when the Job is created, not in the template; the pod spec
        // defaults apply to every pod spec.
        if (spec["jobTemplate"]?["spec"]?["template"]?["spec"] is JsonObject podSpec)
        {
            PodSpec(podSpec);
        }
    }

    /// <summary>
    /// Upstream's <c>SetDefaults_Job</c>: completions default to 1 only when parallelism is absent too (a Job
    /// with parallelism and no completions is a work queue); a pod failure policy makes Failed the replacement policy.
    /// </summary>
    private static void Job(JsonObject spec)
    {
        if (spec["completions"] is null && spec["parallelism"] is null)
        {
            spec["completions"] = 1;
        }

        SetIfAbsent(spec, "parallelism", 1);
        SetIfAbsent(spec, "backoffLimit", spec["backoffLimitPerIndex"] is null ? 6 : int.MaxValue);
        SetIfAbsent(spec, "completionMode", "NonIndexed");
        SetIfAbsent(spec, "suspend", false);
        SetIfAbsent(spec, "podReplacementPolicy", spec["podFailurePolicy"] is null ? "TerminatingOrFailed" : "Failed");
    }

    /// <summary>Upstream's QoS: Guaranteed when every container limits cpu and memory at its requests, BestEffort with no requests or limits at all.</summary>
    internal static string QosClass(JsonObject? spec)
    {
        var containers = (spec?["containers"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var c in containers)
        {
            var requests = c["resources"]?["requests"] as JsonObject;
            var limits = c["resources"]?["limits"] as JsonObject;
            any |= requests is { Count: > 0 } || limits is { Count: > 0 };
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var limit = limits?[resource]?.ToString();
                var request = requests?[resource]?.ToString() ?? limit;
                guaranteed &= limit is not null && request == limit;
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static JsonObject Object(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[name] = created;
        return created;
    }

    private static void SetIfAbsent(JsonObject obj, string name, JsonNode? value)
    {
        if (obj[name] is null)
        {
            obj[name] = value;
        }
    }
}
