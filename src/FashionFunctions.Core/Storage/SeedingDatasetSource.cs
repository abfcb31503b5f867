using FashionFunctions.Core.Data;

namespace FashionFunctions.Core.Storage;

/// <summary>The dataset blobs, seeded from another source on first use when they are missing.</summary>
public sealed class SeedingDatasetSource(BlobDatasetSource blobs, DatasetBlobSeeder seeder, Func<IDatasetSource> seedFrom) : IDatasetSource
{
    private int seeded;

    public string Description => blobs.Description;

    public async Task<Stream> OpenAsync(FashionMnistFile file, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref seeded, 1) == 0)
        {
            await seeder.EnsureSeededAsync(seedFrom(), cancellationToken).ConfigureAwait(false);
        }

        return await blobs.OpenAsync(file, cancellationToken).ConfigureAwait(false);
    }
}
