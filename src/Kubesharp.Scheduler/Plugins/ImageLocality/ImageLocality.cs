using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.ImageLocality;

/// <summary>
/// Prefers nodes that already hold the pod's images, weighted by image size and by how widely the image is
/// spread (an image on every node says nothing about one node), between 23 MB and 1000 MB per container.
/// </summary>
public sealed class ImageLocality : IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "ImageLocality";

    private const long Mb = 1024 * 1024;
    private const long MinThreshold = 23 * Mb;
    private const long MaxContainerThreshold = 1000 * Mb;
    private const string StateKey = "PreScore" + PluginName;

    public string Name => PluginName;

    /// <summary>Upstream's normalizedImageName: <c>:latest</c> added when the name has no tag.</summary>
    public static string Normalize(string image) =>
        image.LastIndexOf(':') <= image.LastIndexOf('/') ? image + ":latest" : image;

    public Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var spec = pod.Pod.Spec;
        var images = (spec?.InitContainers ?? []).Concat(spec?.Containers ?? []).Select(c => Normalize(c.Image ?? "")).ToArray();
        state.Write(StateKey, new Images(images, state.Read<Images>(StateKey)?.TotalNodes ?? 0));
        return Status.Success;
    }

    /// <summary>The number of nodes in the cluster, which the spread factor divides by; set by the scheduler per cycle.</summary>
    public static void SetTotalNodes(CycleState state, int totalNodes) => state.Write(StateKey, new Images([], totalNodes));

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var images = state.Read<Images>(StateKey);
        if (images is null || images.TotalNodes == 0 || images.Names.Length == 0)
        {
            return 0;
        }

        long sum = 0;
        foreach (var name in images.Names)
        {
            if (node.ImageStates.TryGetValue(name, out var image))
            {
                sum += (long)(image.Size * ((double)image.NumNodes / images.TotalNodes));
            }
        }

        var max = MaxContainerThreshold * images.Names.Length;
        sum = Math.Clamp(sum, MinThreshold, max);
        return Scores.MaxNodeScore * (sum - MinThreshold) / (max - MinThreshold);
    }

    private sealed record Images(string[] Names, int TotalNodes);
}
