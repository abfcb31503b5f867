using FashionFunctions.Core.Jobs;

namespace FashionFunctions.Functions.Tests.Support;

/// <summary>An app in which one quick job has trained and promoted a model.</summary>
public sealed class TrainedApp : FunctionsApp
{
    public TrainingJob Job { get; private set; } = null!;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["FashionFunctions:MaxRequestBytes"] = "200000",
        ["FashionFunctions:MaxBatchImages"] = "50",
        ["FashionFunctions:MaxImagePixels"] = "4000000",
        ["FashionFunctions:MaxRequestPixels"] = "6000000",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Job = await Jobs.TrainAsync(this, """{"epochs": 2, "trainLimit": 12000, "seed": 3}""");
    }
}
