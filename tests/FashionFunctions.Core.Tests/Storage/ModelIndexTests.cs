using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Tests.Modeling;
using FashionFunctions.Testing;

namespace FashionFunctions.Core.Tests.Storage;

/// <summary>The model index behind the paged model list: pages, publishing again, the current model's copy,
/// the one-time backfill and deleting.</summary>
[Trait("Category", "Azurite")]
public class ModelIndexTests(AzuriteProcess azurite) : IClassFixture<AzuriteProcess>
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-03-01T00:00:00Z");
    private static readonly ModelArtifact Template = ModelArtifactTests.MakeArtifact();

    private sealed record Store(BlobModelRegistry Registry, BlobContainerClient Container, TableClient Table, StorageRequestCounter Requests)
    {
        /// <summary>The same store seen by a registry that predates the index (it writes no rows).</summary>
        public BlobModelRegistry WithoutIndex => new(Container);
    }

    private Store NewStore()
    {
        var requests = new StorageRequestCounter();
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(requests, HttpPipelinePosition.PerRetry);
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(requests, HttpPipelinePosition.PerRetry);
        var container = new BlobServiceClient(azurite.ConnectionString, blobOptions).GetBlobContainerClient("models-" + Guid.NewGuid().ToString("N")[..12]);
        var tables = new TableServiceClient(azurite.ConnectionString, tableOptions);
        string tableName = "models" + Guid.NewGuid().ToString("N")[..12];
        return new Store(new BlobModelRegistry(container, new TableModelIndex(tables, tableName)), container, tables.GetTableClient(tableName), requests);
    }

    private static ModelArtifact Artifact(string id, DateTimeOffset createdAt, double accuracy = 0.8) =>
        ModelArtifact.Create(Template.Weights, Template.Manifest with { ModelId = id, CreatedAt = createdAt, TestAccuracy = accuracy });

    private static async Task<List<string>> AllIdsAsync(BlobModelRegistry registry, int limit = 7)
    {
        var ids = new List<string>();
        string? next = null;
        do
        {
            var page = await registry.ListAsync(limit, next);
            ids.AddRange(page.Items.Select(m => m.ModelId));
            next = page.Next;
        }
        while (next is not null);
        return ids;
    }

    [Fact]
    public async Task Pages_list_newest_first_without_duplicates_or_gaps_while_models_are_added_between_pages()
    {
        var store = NewStore();
        var existing = Enumerable.Range(0, 23).Select(i => $"fmnist-old-{i:D2}").ToList();
        for (int i = 0; i < existing.Count; i++)
        {
            await store.Registry.SaveAsync(Artifact(existing[i], Start.AddMinutes(i)));
        }

        var seen = new List<string>();
        var page = await store.Registry.ListAsync(5);
        seen.AddRange(page.Items.Select(m => m.ModelId));
        int added = 0;
        for (; page.Next is not null; added++)
        {
            // A model published between two pages is newer than every one listed: it belongs on the first page.
            await store.Registry.SaveAsync(Artifact($"fmnist-new-{added:D2}", Start.AddDays(1).AddMinutes(added)));
            page = await store.Registry.ListAsync(5, page.Next);
            seen.AddRange(page.Items.Select(m => m.ModelId));
        }

        Assert.Equal(existing.AsEnumerable().Reverse(), seen);
        var now = await AllIdsAsync(store.Registry);
        Assert.Equal(4, added);
        Assert.Equal(existing.Count + added, now.Count);
        Assert.Equal("fmnist-new-03", now[0]);
    }

    [Fact]
    public async Task Models_made_in_the_same_instant_keep_one_order_across_pages()
    {
        var store = NewStore();
        foreach (string id in new[] { "fmnist-c", "fmnist-a", "fmnist-b", "fmnist-d" })
        {
            await store.Registry.SaveAsync(Artifact(id, Start));
        }

        Assert.Equal(["fmnist-a", "fmnist-b", "fmnist-c", "fmnist-d"], await AllIdsAsync(store.Registry, limit: 1));
    }

    [Fact]
    public async Task A_token_this_listing_did_not_issue_is_refused()
    {
        var store = NewStore();
        for (int i = 0; i < 3; i++)
        {
            await store.Registry.SaveAsync(Artifact($"fmnist-m{i}", Start.AddMinutes(i)));
        }

        string token = (await store.Registry.ListAsync(1)).Next!;
        await Assert.ThrowsAsync<InvalidPageTokenException>(() => store.Registry.ListAsync(1, "not-a-token"));
        await Assert.ThrowsAsync<InvalidPageTokenException>(() => store.Registry.ListAsync(1, token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1]));
        await Assert.ThrowsAsync<InvalidPageTokenException>(() => store.Registry.ListAsync(1, PageToken.Encode("j-0000")));
    }

    [Fact]
    public async Task Publishing_a_model_again_moves_its_row_instead_of_adding_a_second()
    {
        var store = NewStore();
        await store.Registry.SaveAsync(Artifact("fmnist-other", Start.AddMinutes(5)));
        await store.Registry.PublishAsync(Artifact("fmnist-taken-over", Start), "job-20260301-000000-000-0000abcd", sweepId: null);
        Assert.Equal(["fmnist-other", "fmnist-taken-over"], await AllIdsAsync(store.Registry));

        await store.Registry.PublishAsync(Artifact("fmnist-taken-over", Start.AddMinutes(10), accuracy: 0.85), "job-20260301-000000-000-0000abcd", sweepId: null);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            store.Registry.PublishAsync(Artifact("fmnist-taken-over", Start.AddMinutes(10 + i), accuracy: 0.85), "job-20260301-000000-000-0000abcd", sweepId: null)));

        var page = await store.Registry.ListAsync(10);
        Assert.Equal(["fmnist-taken-over", "fmnist-other"], page.Items.Select(m => m.ModelId));
        Assert.Equal(0.85, page.Items[0].TestAccuracy);
        Assert.Equal("job-20260301-000000-000-0000abcd", page.Items[0].JobId);
        var rows = store.Table.QueryAsync<TableEntity>(e => e.PartitionKey == TableModelIndex.Partition);
        Assert.Equal(2, await rows.CountAsync(e => e.RowKey.StartsWith("m-", StringComparison.Ordinal) && e.RowKey != "m-!"));
        Assert.Equal(2, await rows.CountAsync(e => e.RowKey.StartsWith("id-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_publish_that_read_the_index_before_another_moved_the_row_reads_it_again_and_leaves_one_row()
    {
        var store = NewStore();
        const string job = "job-20260301-000000-000-0000abcd";
        await store.Registry.PublishAsync(Artifact("fmnist-raced", Start), job, sweepId: null);
        // A run whose transaction is slow: it reads where the row is, then the other run moves it before it writes.
        var slow = new DelayPolicy(TimeSpan.FromSeconds(2), m => m.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal));
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(slow, HttpPipelinePosition.PerRetry);
        var slowRun = new BlobModelRegistry(store.Container, new TableModelIndex(new TableServiceClient(azurite.ConnectionString, tableOptions), store.Table.Name));

        var republished = slowRun.PublishAsync(Artifact("fmnist-raced", Start), job, sweepId: null);
        while (slow.Delayed == 0)
        {
            await Task.Delay(10);
        }

        await store.Registry.PublishAsync(Artifact("fmnist-raced", Start.AddMinutes(1)), job, sweepId: null);
        await republished;

        Assert.Equal(["fmnist-raced"], await AllIdsAsync(store.Registry));
        var rows = await store.Table.QueryAsync<TableEntity>(e => e.PartitionKey == TableModelIndex.Partition).ToListAsync();
        var summary = Assert.Single(rows, e => e.RowKey.StartsWith("m-", StringComparison.Ordinal) && e.RowKey != "m-!");
        Assert.Equal(summary.RowKey, Assert.Single(rows, e => e.RowKey.StartsWith("id-", StringComparison.Ordinal)).GetString("ListingKey"));
    }

    [Fact]
    public async Task The_first_page_is_one_storage_request_and_marks_the_current_model_as_promotions_move_it()
    {
        var store = NewStore();
        await store.Registry.SaveAsync(Artifact("fmnist-one", Start));
        await store.Registry.SaveAsync(Artifact("fmnist-two", Start.AddMinutes(1)));
        await store.Registry.PromoteAsync("fmnist-one");
        Assert.Equal("fmnist-one", (await store.Registry.ListAsync(10)).CurrentModelId); // the first list fills the index

        store.Requests.Clear();
        var page = await store.Registry.ListAsync(10);
        Assert.Equal(1, store.Requests.Count);
        Assert.Equal("fmnist-one", page.CurrentModelId);

        await store.Registry.PromoteAsync("fmnist-two");
        Assert.Equal("fmnist-two", (await store.Registry.ListAsync(10)).CurrentModelId);
        Assert.Equal("fmnist-two", (await store.Registry.ListAsync(1, (await store.Registry.ListAsync(1)).Next)).CurrentModelId);
    }

    [Fact]
    public async Task Racing_promotions_leave_the_lists_copy_naming_the_model_the_pointer_names()
    {
        var store = NewStore();
        var ids = Enumerable.Range(0, 6).Select(i => $"fmnist-race-{i}").ToList();
        foreach (string id in ids)
        {
            await store.Registry.SaveAsync(Artifact(id, Start));
        }

        await Task.WhenAll(ids.Select(id => Task.Run(() => store.Registry.PromoteAsync(id))));

        var pointer = (await store.Registry.GetCurrentAsync())!.Pointer.ModelId;
        Assert.Equal(pointer, (await store.Registry.ListAsync(10)).CurrentModelId);
    }

    [Fact]
    public async Task A_promotion_whose_copy_lands_after_a_later_promotions_copy_makes_it_again()
    {
        var store = NewStore();
        await store.Registry.SaveAsync(Artifact("fmnist-first", Start));
        await store.Registry.SaveAsync(Artifact("fmnist-second", Start.AddMinutes(1)));
        await store.Registry.ListAsync(10);
        // Another worker whose writes of the copy are slow: its copy of the first model lands after the second's.
        var slow = new DelayPolicy(TimeSpan.FromSeconds(2), m => m.Request.Method != RequestMethod.Get && m.Request.Uri.Path.Contains("PartitionKey", StringComparison.Ordinal));
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(slow, HttpPipelinePosition.PerRetry);
        var slowWorker = new BlobModelRegistry(store.Container, new TableModelIndex(new TableServiceClient(azurite.ConnectionString, tableOptions), store.Table.Name));

        var first = slowWorker.PromoteAsync("fmnist-first");
        while (slow.Delayed == 0)
        {
            await Task.Delay(10);
        }

        await store.Registry.PromoteAsync("fmnist-second");
        await first;

        Assert.Equal("fmnist-second", (await store.Registry.GetCurrentAsync())!.Pointer.ModelId);
        Assert.Equal("fmnist-second", (await store.Registry.ListAsync(10)).CurrentModelId);
    }

    [Fact]
    public async Task The_backfill_indexes_models_published_before_the_index_once_and_running_it_again_changes_nothing()
    {
        var store = NewStore();
        var before = store.WithoutIndex;
        await before.SaveAsync(Artifact("fmnist-20260301-101010-123-0badcafe", Start));
        await before.SaveAsync(Artifact("fmnist-20260301-111111-000-deadbeef-p007", Start.AddMinutes(1)));
        await before.SaveAsync(Artifact("fmnist-20260301-121212-abc123", Start.AddMinutes(2)));
        await before.PromoteAsync("fmnist-20260301-101010-123-0badcafe");
        await store.Container.GetBlobClient("stray/manifest.json").UploadAsync(BinaryData.FromString("not a manifest"));

        var page = await store.Registry.ListAsync(10);

        Assert.Equal(["fmnist-20260301-121212-abc123", "fmnist-20260301-111111-000-deadbeef-p007", "fmnist-20260301-101010-123-0badcafe"], page.Items.Select(m => m.ModelId));
        Assert.Equal("fmnist-20260301-101010-123-0badcafe", page.CurrentModelId);
        Assert.Null(page.Items[0].JobId);
        Assert.Equal("job-20260301-111111-000-deadbeef-p007", page.Items[1].JobId);
        Assert.Equal("sweep-20260301-111111-000-deadbeef", page.Items[1].SweepId);
        Assert.Equal("job-20260301-101010-123-0badcafe", page.Items[2].JobId);
        Assert.Null(page.Items[2].SweepId);

        store.Requests.Clear();
        Assert.Equal(page.Items, (await store.Registry.ListAsync(10)).Items);
        Assert.Equal(1, store.Requests.Count); // marked filled: not filled again

        Assert.Equal(0, await store.Registry.BackfillIndexAsync());
        Assert.Equal(page.Items, (await store.Registry.ListAsync(10)).Items);
        var rows = await store.Table.QueryAsync<TableEntity>(e => e.PartitionKey == TableModelIndex.Partition).CountAsync();
        Assert.Equal(3 + 3 + 1, rows); // a summary and a lookup per model, and the head
    }

    [Fact]
    public async Task The_backfill_leaves_a_row_its_publisher_wrote_as_it_is()
    {
        var store = NewStore();
        await store.Registry.PublishAsync(Artifact("fmnist-published", Start), "job-20260301-000000-000-0000abcd", "sweep-20260301-000000-000-0000abcd");

        var page = await store.Registry.ListAsync(10); // the first list fills the index from the manifests

        Assert.Equal("job-20260301-000000-000-0000abcd", page.Items.Single().JobId);
        Assert.Equal("sweep-20260301-000000-000-0000abcd", page.Items.Single().SweepId);
    }

    [Fact]
    public async Task Deleting_a_model_removes_its_blobs_and_row_and_the_current_model_is_refused()
    {
        var store = NewStore();
        await store.Registry.SaveAsync(Artifact("fmnist-keep", Start));
        await store.Registry.SaveAsync(Artifact("fmnist-gone", Start.AddMinutes(1)));
        await store.Container.GetBlobClient("fmnist-gone/model-oldrun.safetensors").UploadAsync(BinaryData.FromString("a superseded run's weights"));
        await store.Registry.PromoteAsync("fmnist-keep");

        await Assert.ThrowsAsync<ModelIsCurrentException>(() => store.Registry.DeleteAsync("fmnist-keep"));
        await store.Registry.DeleteAsync("fmnist-gone");

        Assert.Equal(["fmnist-keep"], await AllIdsAsync(store.Registry));
        Assert.Empty(await store.Container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "fmnist-gone/", CancellationToken.None).ToListAsync());
        Assert.NotEmpty(await store.Container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "fmnist-keep/", CancellationToken.None).ToListAsync());
        await Assert.ThrowsAsync<ModelNotFoundException>(() => store.Registry.GetManifestAsync("fmnist-gone"));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => store.Registry.DeleteAsync("fmnist-gone"));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => store.Registry.PromoteAsync("fmnist-gone"));
    }

    [Fact]
    public async Task A_delete_stopped_half_way_leaves_the_model_listed_and_deleting_again_finishes()
    {
        var store = NewStore();
        await store.Registry.SaveAsync(Artifact("fmnist-half", Start));
        await store.Registry.ListAsync(10);
        await store.Container.DeleteBlobAsync("fmnist-half/manifest.json"); // as if the delete stopped after its first step

        Assert.Equal(["fmnist-half"], await AllIdsAsync(store.Registry));
        await store.Registry.DeleteAsync("fmnist-half");
        Assert.Empty(await AllIdsAsync(store.Registry));
        Assert.Empty(await store.Container.GetBlobsAsync().ToListAsync());
    }
}
