namespace Kubesharp.Client.Balancer;

/// <summary>
/// The API servers a balancer knows (<c>host:port</c>), whether each is believed up, and which one is current.
/// <para>
/// Contract: the servers given at construction (the command line) are kept for the balancer's life; learned servers
/// (from the <c>default/kubernetes</c> Endpoints) are replaced as a set by <see cref="SetLearned"/>. A server starts
/// up (as k3s, a server is assumed healthy until a check or a dial says otherwise). <see cref="Candidates"/> gives
/// the dial order for a new connection: the current server when it is up, then the other up servers in list order
/// after it, then the down ones in the same order as a last resort (a health check can be stale, and with every
/// server down trying them all is the only way back). Thread-safe: every member takes one lock and never waits
/// inside it.
/// </para>
/// </summary>
internal sealed class ServerList
{
    private readonly Lock _lock = new();
    private readonly List<string> _fixed;
    private readonly Dictionary<string, bool> _up = new(StringComparer.Ordinal);
    private List<string> _learned = [];
    private List<string> _all;
    private string _current;

    public ServerList(IReadOnlyList<string> fixedServers)
    {
        if (fixedServers.Count == 0)
        {
            throw new ArgumentException("a balancer needs at least one server", nameof(fixedServers));
        }

        _fixed = fixedServers.Distinct(StringComparer.Ordinal).ToList();
        _all = [.. _fixed];
        foreach (var server in _fixed)
        {
            _up[server] = true;
        }

        _current = _fixed[0];
    }

    /// <summary>Every known server: the fixed ones in their order, then the learned ones not among them.</summary>
    public IReadOnlyList<string> All
    {
        get
        {
            lock (_lock)
            {
                return _all;
            }
        }
    }

    public IReadOnlyList<string> Learned
    {
        get
        {
            lock (_lock)
            {
                return _learned;
            }
        }
    }

    /// <summary>The server new connections go to first while it is up.</summary>
    public string Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    public bool IsUp(string server)
    {
        lock (_lock)
        {
            return _up.TryGetValue(server, out var up) && up;
        }
    }

    public IReadOnlyList<string> Candidates()
    {
        lock (_lock)
        {
            var start = Math.Max(0, _all.IndexOf(_current));
            var rotated = Enumerable.Range(0, _all.Count).Select(i => _all[(start + i) % _all.Count]).ToList();
            return [.. rotated.Where(s => _up[s]), .. rotated.Where(s => !_up[s])];
        }
    }

    /// <summary>A connection to <paramref name="server"/> was made: it is up, and it becomes current.</summary>
    public void Connected(string server)
    {
        lock (_lock)
        {
            if (_up.ContainsKey(server))
            {
                _up[server] = true;
                _current = server;
            }
        }
    }

    /// <summary>Records a health check or dial outcome; true when the server went from up to down.</summary>
    public bool SetHealth(string server, bool up)
    {
        lock (_lock)
        {
            if (!_up.TryGetValue(server, out var was))
            {
                return false;
            }

            _up[server] = up;
            return was && !up;
        }
    }

    /// <summary>
    /// Replaces the learned servers; returns the servers that are no longer known (learned before, not fixed, not
    /// learned now), whose connections the caller closes. An empty set is ignored (k3s does the same: a moment with
    /// no live API server in the Endpoints must not make the agent forget them).
    /// </summary>
    public (IReadOnlyList<string> Added, IReadOnlyList<string> Removed) SetLearned(IEnumerable<string> servers)
    {
        var learned = servers.Distinct(StringComparer.Ordinal).ToList();
        if (learned.Count == 0)
        {
            return ([], []);
        }

        lock (_lock)
        {
            var added = learned.Where(s => !_up.ContainsKey(s)).ToList();
            var removed = _learned.Where(s => !learned.Contains(s, StringComparer.Ordinal) && !_fixed.Contains(s, StringComparer.Ordinal)).ToList();
            foreach (var server in added)
            {
                _up[server] = true;
            }

            foreach (var server in removed)
            {
                _up.Remove(server);
            }

            _learned = learned;
            _all = [.. _fixed, .. learned.Where(s => !_fixed.Contains(s, StringComparer.Ordinal))];
            if (!_up.ContainsKey(_current))
            {
                _current = _all[0];
            }

            return (added, removed);
        }
    }
}
