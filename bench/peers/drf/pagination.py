import math

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from peers.contract import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_link


class ArticlePagination(PageNumberPagination):
    """?page=P&size=S, answered in the framework's envelope (links are path + query)."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "size"
    max_page_size = MAX_PAGE_SIZE

    def get_paginated_response(self, data):
        page = self.page
        size = page.paginator.per_page
        total = page.paginator.count
        return Response(
            {
                "items": data,
                "page": page.number,
                "size": size,
                "total": total,
                "pages": math.ceil(total / size),
                "next": page_link(page.number + 1, size) if page.has_next() else None,
                "previous": page_link(page.number - 1, size) if page.has_previous() else None,
            }
        )
