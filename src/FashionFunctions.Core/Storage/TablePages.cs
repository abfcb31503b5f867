using Azure;
using Azure.Data.Tables;

namespace FashionFunctions.Core.Storage;

/// <summary>One page of a table query, its continuation handed out as a <see cref="PageToken"/>: an empty page
/// while the table does not exist yet, and <see cref="InvalidPageTokenException"/> for a token the service refuses.</summary>
internal static class TablePages
{
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
