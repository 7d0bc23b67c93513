using System.Text;
using Kubesharp.ApiServer.Cache;
using Kubesharp.Storage;

namespace Kubesharp.ApiServer.Tests.Cache;

public sealed class ResourceCacheTests
{
    private const string Prefix = "/registry/configmaps/";

    private static byte[] Object(string name) => Encoding.UTF8.GetBytes($$$"""{"kind":"ConfigMap","metadata":{"name":"{{{name}}}"}}""");

    private static WatchEvent Put(string name, long revision, long created) =>
        new(WatchEventType.Put, new KeyValue(Prefix + "default/" + name, Object(name), created, revision), null);

    private static WatchEvent Delete(string name, long revision) =>
        new(WatchEventType.Delete, new KeyValue(Prefix + "default/" + name, Object(name), 1, revision), null);

    [Fact]
    public void Events_that_arrive_while_the_list_loads_are_applied_after_it_and_older_ones_are_dropped()
    {
        var cache = new ResourceCache(Prefix, [], 16);
        cache.Apply(Put("b", 5, 5));
        cache.Apply(Put("c", 7, 7));

        cache.Load([new KeyValue(Prefix + "default/b", Object("b"), 5, 5), new KeyValue(Prefix + "default/a", Object("a"), 3, 3)], 6);

        var (items, revision) = cache.Snapshot();
        Assert.Equal(7, revision);
        Assert.Equal(["a", "b", "c"], items.Select(i => i.Key[(Prefix.Length + "default/".Length)..]));
        Assert.Contains("\"resourceVersion\":\"3\"", Encoding.UTF8.GetString(items[0].Json), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cursor_is_found_inside_the_window_and_refused_before_it()
    {
        var cache = new ResourceCache(Prefix, [], 4);
        cache.Load([], 10);
        for (var i = 0; i < 6; i++)
        {
            cache.Apply(Put($"o{i}", 11 + i, 11 + i));
        }

        // Six events in a ring of four: 11 and 12 left the window, which now starts at 12.
        Assert.False(cache.TryFindCursor(11, out _));
        Assert.True(cache.TryFindCursor(12, out var cursor));
        var events = new List<CacheEvent>();
        Assert.True(cache.Read(ref cursor, events, 100));
        Assert.Equal([13L, 14, 15, 16], events.Select(e => e.Revision));
    }

    [Fact]
    public void A_reader_that_falls_behind_the_ring_is_told_to_stop()
    {
        var cache = new ResourceCache(Prefix, [], 4);
        cache.Load([], 1);
        Assert.True(cache.TryFindCursor(1, out var cursor));
        for (var i = 0; i < 5; i++)
        {
            cache.Apply(Put($"o{i}", 2 + i, 2 + i));
        }

        Assert.False(cache.Read(ref cursor, [], 100));
    }

    [Fact]
    public void Deletes_remove_objects_and_carry_the_last_state_with_the_deletion_version()
    {
        var cache = new ResourceCache(Prefix, [], 8);
        cache.Load([new KeyValue(Prefix + "default/a", Object("a"), 3, 3)], 3);
        Assert.True(cache.TryFindCursor(3, out var cursor));

        cache.Apply(Delete("a", 4));

        Assert.Empty(cache.Snapshot().Items);
        var events = new List<CacheEvent>();
        cache.Read(ref cursor, events, 10);
        var e = Assert.Single(events);
        Assert.True(e.IsDelete);
        Assert.NotNull(e.Previous);
        var line = Encoding.UTF8.GetString(e.Line(WatchEventKind.Deleted));
        Assert.StartsWith("{\"type\":\"DELETED\",\"object\":{", line, StringComparison.Ordinal);
        Assert.Contains("\"resourceVersion\":\"4\"", line, StringComparison.Ordinal);
        Assert.EndsWith("}\n", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_waiter_wakes_on_the_next_event_and_on_close()
    {
        var cache = new ResourceCache(Prefix, [], 8);
        cache.Load([], 1);
        Assert.True(cache.TryFindCursor(1, out var cursor));
        var waiting = cache.WaitAsync(cursor);
        Assert.False(waiting.IsCompleted);

        cache.Apply(Put("a", 2, 2));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        var again = cache.WaitAsync(cursor + 1);
        cache.Close();
        await again.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(cache.Closed);
    }
}
