using System.Runtime.CompilerServices;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Nftables;

namespace Kubesharp.Proxy.Tests.Nftables;

/// <summary>
/// The rendered ruleset of each case in <see cref="NftablesCases"/> against <c>golden/NAME.nft</c>. To regenerate after
/// an intended change: <c>KUBESHARP_UPDATE_GOLDEN=1 dotnet test tests/Kubesharp.Proxy.Tests --filter
/// "FullyQualifiedName~Nftables"</c>, then review the diff.
/// </summary>
public sealed class NftablesGoldenTests
{
    public const string UpdateVariable = "KUBESHARP_UPDATE_GOLDEN";

    public static TheoryData<string> Cases => new(NftablesCases.All.Keys.Order(StringComparer.Ordinal));

    public static string GoldenPath(string name, [CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "golden", name + ".nft");

    [Theory]
    [MemberData(nameof(Cases))]
    public void RenderMatchesGolden(string name)
    {
        var (snapshot, node) = NftablesCases.All[name];
        var rendered = new NftablesBackend(new RuleTool()).Render(snapshot, node);
        var path = GoldenPath(name);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(path, rendered);
        }

        Assert.True(File.Exists(path), $"no golden file {path}: run with {UpdateVariable}=1 to create it");
        Assert.Equal(File.ReadAllText(path), rendered);
    }

    [Fact]
    public void EveryGoldenFileHasACase()
    {
        var dir = Path.GetDirectoryName(GoldenPath("x"))!;
        var files = Directory.GetFiles(dir, "*.nft").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal);
        Assert.Equal(NftablesCases.All.Keys.Order(StringComparer.Ordinal), files);
    }

    [Fact]
    public void RenderIsPure()
    {
        var backend = new NftablesBackend(new RuleTool());
        foreach (var (snapshot, node) in NftablesCases.All.Values)
        {
            Assert.Equal(backend.Render(snapshot, node), backend.Render(snapshot, node));
        }
    }
}
