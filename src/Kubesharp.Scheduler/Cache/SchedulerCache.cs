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

    // Upstream's headNode list: every node name, most recently changed first, so that a snapshot copies what changed
    // since its generation without looking at the others. A removed node stays as a node-less entry (a tombstone).
    private readonly LinkedList<(string Name, NodeInfo Info)> _recent = new();
    private readonly Dictionary<string, LinkedListNode<(string Name, NodeInfo Info)>> _recentByName = new(StringComparer.Ordinal);
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
            BumpLocked(name, info);
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

            var structural = false;
            for (var entry = _recent.First; entry is not null && entry.Value.Info.Generation > snapshot.Generation; entry = entry.Next)
            {
                var (name, info) = entry.Value;
                if (info.Node is null || !ReferenceEquals(_nodes.GetValueOrDefault(name), info))
                {
                    structural |= snapshot.ByName.Remove(name);
                    continue;
                }

                structural |= !snapshot.Replace(name, info.Clone());
            }

            if (structural)
            {
                snapshot.Rebuild();
            }

            snapshot.Generation = _generation;
        }
    }

    /// <summary>Marks <paramref name="info"/> changed: a new generation, and first in the list snapshots walk.</summary>
    private void BumpLocked(string name, NodeInfo info)
    {
        info.Generation = ++_generation;
        if (_recentByName.TryGetValue(name, out var entry))
        {
            _recent.Remove(entry);
            entry.Value = (name, info);
            _recent.AddFirst(entry);
        }
        else
        {
            _recentByName[name] = _recent.AddFirst((name, info));
        }
    }

    private NodeInfo NodeLocked(string name)
    {
        if (!_nodes.TryGetValue(name, out var info))
        {
            _nodes[name] = info = new NodeInfo();
        }

        BumpLocked(name, info);
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
        BumpLocked(node, info);
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
                BumpLocked(info.Name, info);
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
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private NodeInfo[] _nodes = [];

    internal Dictionary<string, NodeInfo> ByName { get; } = new(StringComparer.Ordinal);

    internal long Generation { get; set; } = -1;

    /// <summary>The nodes in a stable order (by name), which the round-robin start index walks.</summary>
    public IReadOnlyList<NodeInfo> Nodes => _nodes;

    public NodeInfo? Get(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Puts a newer copy of a node in place; false when the node is new (the order must then be rebuilt).</summary>
    internal bool Replace(string name, NodeInfo info)
    {
        var known = ByName.ContainsKey(name);
        ByName[name] = info;
        if (known && _index.TryGetValue(name, out var i))
        {
            _nodes[i] = info;
            return true;
        }

        return false;
    }

    internal void Rebuild()
    {
        _nodes = [.. ByName.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => n.Value)];
        _index.Clear();
        for (var i = 0; i < _nodes.Length; i++)
        {
            _index[_nodes[i].Name] = i;
        }
    }
}
