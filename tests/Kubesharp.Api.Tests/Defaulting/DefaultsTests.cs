using System.Text.Json.Nodes;
using Kubesharp.Api.Defaulting;

namespace Kubesharp.Api.Tests.Defaulting;

public sealed class DefaultsTests
{
    [Theory]
    [InlineData("busybox", "Always")]
    [InlineData("busybox:latest", "Always")]
    [InlineData("busybox:1.35", "IfNotPresent")]
    [InlineData("127.0.0.1:5000/library/busybox", "Always")]
    [InlineData("127.0.0.1:5000/library/busybox:1.35", "IfNotPresent")]
    [InlineData("busybox@sha256:0123", "IfNotPresent")]
    public void Image_pull_policy_follows_the_tag(string image, string expected)
    {
        Assert.Equal(expected, Defaults.PullPolicy(image));
    }

    [Fact]
    public void A_pod_gets_upstreams_spec_defaults_and_keeps_what_was_sent()
    {
        var pod = JsonNode.Parse("""{"spec":{"restartPolicy":"Never","containers":[{"name":"a","image":"nginx:1.25","ports":[{"containerPort":80}]}]}}""")!.AsObject();

        Defaults.Apply("", "Pod", pod);

        var spec = pod["spec"]!;
        Assert.Equal("Never", spec["restartPolicy"]!.GetValue<string>());
        Assert.Equal("ClusterFirst", spec["dnsPolicy"]!.GetValue<string>());
        Assert.Equal(30, spec["terminationGracePeriodSeconds"]!.GetValue<int>());
        Assert.Equal("default-scheduler", spec["schedulerName"]!.GetValue<string>());
        var c = spec["containers"]![0]!;
        Assert.Equal("IfNotPresent", c["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("/dev/termination-log", c["terminationMessagePath"]!.GetValue<string>());
        Assert.Equal("File", c["terminationMessagePolicy"]!.GetValue<string>());
        Assert.Equal("TCP", c["ports"]![0]!["protocol"]!.GetValue<string>());
    }

    [Fact]
    public void A_pods_negative_grace_period_is_stored_as_one_as_upstream_stores_it()
    {
        var pod = JsonNode.Parse("""{"spec":{"terminationGracePeriodSeconds":-5,"containers":[{"name":"a","image":"x"}]}}""")!.AsObject();

        Defaults.Apply("", "Pod", pod);

        Assert.Equal(1, pod["spec"]!["terminationGracePeriodSeconds"]!.GetValue<int>());
    }

    [Fact]
    public void Probes_and_http_actions_get_upstreams_defaults()
    {
        var pod = JsonNode.Parse("""{"spec":{"containers":[{"name":"a","image":"x","livenessProbe":{"httpGet":{"port":80}},"env":[{"name":"N","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}}""")!.AsObject();

        Defaults.Apply("", "Pod", pod);

        var probe = pod["spec"]!["containers"]![0]!["livenessProbe"]!;
        Assert.Equal("""{"httpGet":{"port":80,"path":"/","scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3}""", probe.ToJsonString());
        Assert.Equal("v1", pod["spec"]!["containers"]![0]!["env"]![0]!["valueFrom"]!["fieldRef"]!["apiVersion"]!.GetValue<string>());
    }

    [Fact]
    public void Cron_jobs_services_and_replication_controllers_get_the_defaults_validation_relies_on()
    {
        var cronJob = JsonNode.Parse("""{"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"}]}}}}}}""")!.AsObject();
        var service = JsonNode.Parse("""{"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}""")!.AsObject();
        var rc = JsonNode.Parse("""{"spec":{"template":{"metadata":{"labels":{"app":"web"}}}}}""")!.AsObject();

        Defaults.Apply("batch", "CronJob", cronJob);
        Defaults.Apply("", "Service", service);
        Defaults.Apply("", "ReplicationController", rc);

        Assert.Equal("Allow", cronJob["spec"]!["concurrencyPolicy"]!.GetValue<string>());
        Assert.Equal("Always", cronJob["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!["restartPolicy"]!.GetValue<string>());
        Assert.Equal("Cluster", service["spec"]!["internalTrafficPolicy"]!.GetValue<string>());
        Assert.Equal("Cluster", service["spec"]!["externalTrafficPolicy"]!.GetValue<string>());
        Assert.True(service["spec"]!["allocateLoadBalancerNodePorts"]!.GetValue<bool>());
        Assert.Equal("""{"app":"web"}""", rc["spec"]!["selector"]!.ToJsonString());
    }

    [Fact]
    public void A_deployment_gets_strategy_history_deadline_and_template_defaults()
    {
        var d = JsonNode.Parse("""{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"nginx"}]}}}}""")!.AsObject();

        Defaults.Apply("apps", "Deployment", d);

        var spec = d["spec"]!;
        Assert.Equal(1, spec["replicas"]!.GetValue<int>());
        Assert.Equal(10, spec["revisionHistoryLimit"]!.GetValue<int>());
        Assert.Equal(600, spec["progressDeadlineSeconds"]!.GetValue<int>());
        Assert.Equal("RollingUpdate", spec["strategy"]!["type"]!.GetValue<string>());
        Assert.Equal("25%", spec["strategy"]!["rollingUpdate"]!["maxSurge"]!.GetValue<string>());
        Assert.Equal("Always", spec["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"]!.GetValue<string>());
    }

    [Fact]
    public void A_service_port_targets_itself_over_tcp_by_default()
    {
        var svc = JsonNode.Parse("""{"spec":{"ports":[{"port":80},{"port":53,"protocol":"UDP","targetPort":"dns"}]}}""")!.AsObject();

        Defaults.Apply("", "Service", svc);

        Assert.Equal("ClusterIP", svc["spec"]!["type"]!.GetValue<string>());
        Assert.Equal("None", svc["spec"]!["sessionAffinity"]!.GetValue<string>());
        Assert.Equal(80, svc["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.Equal("TCP", svc["spec"]!["ports"]![0]!["protocol"]!.GetValue<string>());
        Assert.Equal("dns", svc["spec"]!["ports"]![1]!["targetPort"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""[{"name":"a"}]""", "BestEffort")]
    [InlineData("""[{"name":"a","resources":{"requests":{"cpu":"100m"}}}]""", "Burstable")]
    [InlineData("""[{"name":"a","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]""", "Guaranteed")]
    [InlineData("""[{"name":"a","resources":{"requests":{"cpu":"1","memory":"1Gi"},"limits":{"cpu":"1","memory":"1Gi"}}},{"name":"b"}]""", "Burstable")]
    public void A_new_pod_is_Pending_with_its_qos_class(string containers, string qos)
    {
        var pod = JsonNode.Parse("{\"spec\":{\"containers\":" + containers + "},\"status\":{\"phase\":\"Running\"}}")!.AsObject();

        Defaults.NewPodStatus(pod);

        Assert.Equal("Pending", pod["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(qos, pod["status"]!["qosClass"]!.GetValue<string>());
    }
}
