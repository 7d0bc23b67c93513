using System.CommandLine;
using System.Text.Json;
using k8s;
using k8s.Exceptions;
using k8s.Models;
using Kubesharp.Client;
using Kubesharp.Scheduler;
using Kubesharp.Scheduler.Configuration;
using Kubesharp.Scheduler.Explain;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp explain-placement POD [-n NS]</c>: asks the scheduler's plugins, read-only, why a pod goes where it
/// goes or cannot go anywhere — every node, every filter plugin's verdict, every score plugin's weighted score —
/// replayed against the cluster as it is now through the API (nothing is written).
/// </summary>
internal static class ExplainPlacementCommand
{
    public static Command Create()
    {
        var pod = new Argument<string>("pod") { Description = "The pod's name." };
        var ns = new Option<string>("--namespace", "-n") { Description = "The pod's namespace.", DefaultValueFactory = _ => "default" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "The kubeconfig to read the cluster with (default: $KUBECONFIG, then ~/.kube/config)." };
        var output = new Option<string>("--output", "-o") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        var config = new Option<string?>("--config") { Description = "The scheduler's KubeSchedulerConfiguration file, to replay the pod's own profile (default: upstream's default profile)." };
        output.AcceptOnlyFromAmong("text", "json");
        var command = new Command("explain-placement", "Show, node by node and plugin by plugin, why the scheduler places a pod where it does or nowhere.")
        {
            pod,
            ns,
            kubeconfig,
            output,
            config,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(pod)!, parse.GetValue(ns)!, parse.GetValue(kubeconfig), parse.GetValue(output)!, parse.GetValue(config), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string name, string ns, string? kubeconfig, string output, string? configFile, CancellationToken cancellationToken)
    {
        try
        {
            var configuration = configFile is null ? SchedulerConfiguration.Default() : SchedulerConfigurationLoader.LoadFile(configFile);
            var config = kubeconfig is null ? KubernetesClientConfiguration.BuildDefaultConfig() : Kubeconfig.Build(kubeconfig);
            using var client = new Kubernetes(config);
            var pod = await client.CoreV1.ReadNamespacedPodAsync(name, ns, cancellationToken: cancellationToken);
            var schedulerName = pod.Spec?.SchedulerName ?? DefaultProfiles.SchedulerName;
            var nodes = await client.CoreV1.ListNodeAsync(cancellationToken: cancellationToken);
            var pods = await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: cancellationToken);
            var objects = new StaticObjectLister();
            foreach (var obj in (await client.CoreV1.ListNamespaceAsync(cancellationToken: cancellationToken)).Items.Cast<IKubernetesObject<V1ObjectMeta>>()
                .Concat((await client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: cancellationToken)).Items)
                .Concat((await client.CoreV1.ListReplicationControllerForAllNamespacesAsync(cancellationToken: cancellationToken)).Items)
                .Concat((await client.AppsV1.ListReplicaSetForAllNamespacesAsync(cancellationToken: cancellationToken)).Items)
                .Concat((await client.AppsV1.ListStatefulSetForAllNamespacesAsync(cancellationToken: cancellationToken)).Items)
                .Concat((await client.PolicyV1.ListPodDisruptionBudgetForAllNamespacesAsync(cancellationToken: cancellationToken)).Items))
            {
                objects.Add(obj);
            }

            var profile = configuration.CreateProfiles(new PluginHandle(client, objects)).FirstOrDefault(p => p.SchedulerName == schedulerName);
            if (profile is null)
            {
                await Console.Error.WriteLineAsync($"error: pod {ns}/{name} asks for scheduler \"{schedulerName}\", which is no profile of {configFile ?? "the default configuration"}");
                return 1;
            }

            var explanation = PlacementExplainer.Explain(profile, nodes.Items, pods.Items, pod);
            Console.Write(output == "json" ? JsonSerializer.Serialize(explanation, Json) + Environment.NewLine : PlacementExplainer.Format(explanation));
            return 0;
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            await Console.Error.WriteLineAsync($"error: {(int)e.Response.StatusCode}: {e.Response.Content}");
            return 1;
        }
        catch (Exception e) when (e is KubeConfigException or IOException or HttpRequestException or SchedulerConfigurationException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
