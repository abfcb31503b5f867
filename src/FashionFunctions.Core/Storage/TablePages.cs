using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;

namespace FashionFunctions.Core.Storage;

/// <summary>Table queries as the stores read them: while the table does not exist yet, nothing is stored.</summary>
internal static class TablePages
{
    /// <summary>Every entity matching <paramref name="filter"/>, page after page.</summary>
    public static async IAsyncEnumerable<T> AllAsync<T>(
        TableClient table, string filter, Func<TableEntity, T> map, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var pages = table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).AsPages().GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await pages.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                yield break;
            }

            foreach (var entity in pages.Current.Values)
            {
                yield return map(entity);
            }
        }
    }

    /// <summary>One page, its continuation handed out as a <see cref="PageToken"/>; <see cref="InvalidPageTokenException"/>
    /// for a token the service refuses.</summary>
    public static async Task<(IReadOnlyList<T> Items, string? Next)> ReadAsync<T>(
        TableClient table, string filter, int limit, string? next, Func<TableEntity, T> map, CancellationToken cancellationToken)
    {
        string? continuation = PageToken.Decode(next);
        try
        {
            await foreach (var page in table.QueryAsync<TableEntity>(filter, limit, cancellationToken: cancellationToken)
                .AsPages(continuation, limit).ConfigureAwait(false))
            {
                return (page.Values.Select(map).ToList(), PageToken.Encode(page.ContinuationToken));
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No table yet: nothing stored.
        }
        catch (RequestFailedException e) when (e.Status == 400 && continuation is not null)
        {
            throw new InvalidPageTokenException(e);
        }

        return ([], null);
    }
}
