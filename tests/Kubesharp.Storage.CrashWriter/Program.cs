using System.Globalization;
using System.Text;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;

// Usage: CrashWriter <db-path> <writers> <round>
// Each writer creates keys /registry/crash/r<round>/w<writer>/<seq> and updates its own counter key,
// printing "ack <key> <revision> <seq>" for every write the store acknowledged. The parent kills this
// process with SIGKILL at a random moment and checks that every acknowledged write survived.
var path = args[0];
var writers = int.Parse(args[1], CultureInfo.InvariantCulture);
var round = int.Parse(args[2], CultureInfo.InvariantCulture);

var store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = path, CompactionInterval = TimeSpan.Zero });
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
var gate = new Lock();

void Ack(string key, long revision, long seq)
{
    lock (gate)
    {
        stdout.Write(string.Create(CultureInfo.InvariantCulture, $"ack {key} {revision} {seq}\n"));
        stdout.Flush();
    }
}

lock (gate)
{
    stdout.Write("ready\n");
    stdout.Flush();
}

await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    var counterKey = $"/registry/crash/r{round}/counter-{w}";
    long counterRevision = 0;
    for (long seq = 0; ; seq++)
    {
        var key = $"/registry/crash/r{round}/w{w}/{seq:D8}";
        var value = Encoding.UTF8.GetBytes($$"""{"seq":{{seq}},"writer":{{w}},"pad":"{{new string('x', 200)}}"}""");
        var created = await store.CreateAsync(key, value);
        if (created.Status != WriteStatus.Ok)
        {
            throw new InvalidOperationException($"create {key}: {created.Status}");
        }

        Ack(key, created.Revision, seq);

        var counter = Encoding.UTF8.GetBytes($$"""{"seq":{{seq}}}""");
        var updated = counterRevision == 0
            ? await store.CreateAsync(counterKey, counter)
            : await store.UpdateAsync(counterKey, counter, counterRevision);
        if (updated.Status != WriteStatus.Ok)
        {
            throw new InvalidOperationException($"update {counterKey}: {updated.Status}");
        }

        counterRevision = updated.Revision;
        Ack(counterKey, updated.Revision, seq);
    }
})));
