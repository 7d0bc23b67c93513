using k8s.Models;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.ImageLocality;

namespace Kubesharp.Scheduler.Cache;

/// <summary>
/// Upstream's scheduler cache: the nodes and the pods on them, fed by informers, plus <em>assumed</em> pods —
/// pods the scheduler has placed but whose binding the informer has not yet shown — so that the next cycle
/// already counts them against their node. Thread-safe; scheduling cycles read <see cref="UpdateSnapshot"/> copies.
/// </summary>
public sealed class SchedulerCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (PodInfo Pod, string Node, bool Assumed, bool Bound)> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _imageNodes = new(StringComparer.Ordinal);
    private long _generation;

    public int NodeCount
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Values.Count(n => n.Node is not null);
            }
        }
    }

    public bool IsAssumed(string uid)
    {
        lock (_lock)
        {
            return _pods.TryGetValue(uid, out var entry) && entry.Assumed;
        }
    }

    public void AddOrUpdateNode(V1Node node)
    {
        lock (_lock)
        {
            var info = NodeLocked(node.Metadata.Name);
            var sameImages = info.Node is { } previous && SameImages(previous, node);
            if (info.Node is { } old && !sameImages)
            {
                ForgetImages(old);
            }

            info.SetNode(node);
            if (sameImages)
            {
                return;
            }

            foreach (var image in node.Status?.Images ?? [])
            {
                foreach (var name in image.Names ?? [])
                {
                    if (!_imageNodes.TryGetValue(ImageLocality.Normalize(name), out var nodes))
                    {
                        _imageNodes[ImageLocality.Normalize(name)] = nodes = new HashSet<string>(StringComparer.Ordinal);
                    }

                    nodes.Add(node.Metadata.Name);
                }
            }

            // Image spread changes for every node holding one of these images: recompute them all.
            RefreshImagesLocked();
        }
    }

    public void RemoveNode(string name)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(name, out var info))
            {
                return;
            }

            if (info.Node is { } old)
            {
                ForgetImages(old);
            }

            info.RemoveNode();
            info.Generation = ++_generation;
            if (info.Pods.Count == 0)
            {
                _nodes.Remove(name);
            }

            RefreshImagesLocked();
        }
    }

    /// <summary>The scheduler placed <paramref name="pod"/> on <paramref name="node"/>: count it there now.</summary>
    public void AssumePod(PodInfo pod, string node)
    {
        lock (_lock)
        {
            if (_pods.ContainsKey(pod.Uid))
            {
                throw new InvalidOperationException($"pod {pod.Key} ({pod.Uid}) is already in the cache");
            }

            _pods[pod.Uid] = (pod, node, true, false);
            AddToNodeLocked(pod, node);
        }
    }

    /// <summary>The binding went through; the pod stays assumed until the informer shows it bound.</summary>
    public void FinishBinding(string uid)
    {
        lock (_lock)
        {
            if (_pods.TryGetValue(uid, out var entry) && entry.Assumed)
            {
                _pods[uid] = entry with { Bound = true };
            }
        }
    }

    /// <summary>The binding failed: the pod no longer counts against its node.</summary>
    public void ForgetPod(string uid)
    {
        lock (_lock)
        {
            if (_pods.TryGetValue(uid, out var entry) && entry.Assumed)
            {
                _pods.Remove(uid);
                RemoveFromNodeLocked(uid, entry.Node);
            }
        }
    }

    /// <summary>An assigned pod from the informer (added or updated): confirms an assumed one, or moves it if its node changed.</summary>
    public void AddOrUpdatePod(V1Pod pod)
    {
        var uid = pod.Metadata.Uid ?? "";
        var node = pod.Spec?.NodeName ?? "";
        var info = PodInfo.Of(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(uid, out var entry))
            {
                RemoveFromNodeLocked(uid, entry.Node);
            }

            _pods[uid] = (info, node, false, true);
            AddToNodeLocked(info, node);
        }
    }

    public void RemovePod(V1Pod pod)
    {
        var uid = pod.Metadata.Uid ?? "";
        lock (_lock)
        {
            if (_pods.Remove(uid, out var entry))
            {
                RemoveFromNodeLocked(uid, entry.Node);
            }
        }
    }

    /// <summary>
    /// Brings <paramref name="snapshot"/> up to date: only the nodes whose generation moved are cloned
    /// (upstream's incremental UpdateSnapshot), so that a cycle on a large, quiet cluster copies little.
    /// </summary>
    public void UpdateSnapshot(Snapshot snapshot)
    {
        lock (_lock)
        {
            if (snapshot.Generation == _generation)
            {
                return;
            }

            var changed = false;
            foreach (var (name, info) in _nodes)
            {
                if (info.Node is null)
                {
                    continue;
                }

                if (!snapshot.ByName.TryGetValue(name, out var copy) || copy.Generation != info.Generation)
                {
                    snapshot.ByName[name] = info.Clone();
                    changed = true;
                }
            }

            foreach (var name in snapshot.ByName.Keys.ToList())
            {
                if (!_nodes.TryGetValue(name, out var info) || info.Node is null)
                {
                    snapshot.ByName.Remove(name);
                    changed = true;
                }
            }

            if (changed || snapshot.Nodes.Count != snapshot.ByName.Count)
            {
                snapshot.Rebuild();
            }

            snapshot.Generation = _generation;
        }
    }

    private NodeInfo NodeLocked(string name)
    {
        if (!_nodes.TryGetValue(name, out var info))
        {
            _nodes[name] = info = new NodeInfo();
        }

        info.Generation = ++_generation;
        return info;
    }

    private void AddToNodeLocked(PodInfo pod, string node)
    {
        if (string.IsNullOrEmpty(node))
        {
            return;
        }

        // A pod may arrive before its node (informers are independent): it waits on a node-less entry.
        NodeLocked(node).AddPod(pod);
    }

    private void RemoveFromNodeLocked(string uid, string node)
    {
        if (!_nodes.TryGetValue(node, out var info))
        {
            return;
        }

        info.RemovePod(uid);
        info.Generation = ++_generation;
        if (info.Node is null && info.Pods.Count == 0)
        {
            _nodes.Remove(node);
        }
    }

    private void ForgetImages(V1Node node)
    {
        foreach (var image in node.Status?.Images ?? [])
        {
            foreach (var name in image.Names ?? [])
            {
                if (_imageNodes.TryGetValue(ImageLocality.Normalize(name), out var nodes))
                {
                    nodes.Remove(node.Metadata.Name);
                }
            }
        }
    }

    private void RefreshImagesLocked()
    {
        foreach (var info in _nodes.Values)
        {
            if (info.Node?.Status?.Images is not { Count: > 0 } images)
            {
                if (info.ImageStates.Count > 0)
                {
                    info.SetImageStates(new Dictionary<string, ImageState>(StringComparer.Ordinal));
                }

                continue;
            }

            var states = new Dictionary<string, ImageState>(StringComparer.Ordinal);
            foreach (var image in images)
            {
                foreach (var name in image.Names ?? [])
                {
                    var normalized = ImageLocality.Normalize(name);
                    states[normalized] = new ImageState(image.SizeBytes ?? 0, _imageNodes.TryGetValue(normalized, out var n) ? n.Count : 1);
                }
            }

            if (!SameStates(states, info.ImageStates))
            {
                info.SetImageStates(states);
                info.Generation = ++_generation;
            }
        }
    }

    private static bool SameImages(V1Node a, V1Node b)
    {
        var x = a.Status?.Images ?? [];
        var y = b.Status?.Images ?? [];
        if (x.Count != y.Count)
        {
            return false;
        }

        for (var i = 0; i < x.Count; i++)
        {
            if (x[i].SizeBytes != y[i].SizeBytes || !(x[i].Names ?? []).SequenceEqual(y[i].Names ?? [], StringComparer.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameStates(Dictionary<string, ImageState> a, Dictionary<string, ImageState> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}

/// <summary>The nodes as one scheduling cycle sees them: cloned from the cache, read without locks.</summary>
public sealed class Snapshot
{
    internal Dictionary<string, NodeInfo> ByName { get; } = new(StringComparer.Ordinal);

    internal long Generation { get; set; } = -1;

    /// <summary>The nodes in a stable order (by name), which the round-robin start index walks.</summary>
    public IReadOnlyList<NodeInfo> Nodes { get; private set; } = [];

    public NodeInfo? Get(string name) => ByName.GetValueOrDefault(name);

    internal void Rebuild() => Nodes = [.. ByName.Values.OrderBy(n => n.Name, StringComparer.Ordinal)];
}
