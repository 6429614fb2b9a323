"""Differential cases for Django's query rules, expressions and errors, as
data for the differential harness (tests/django/test_differential.py runs
them against the real Django ORM and Tabula on the test project's
database, tests/django/project, built by its seed.py).

Each case is (topic, django, tabula, ordered, departure):
  topic    what the case exercises (the harness counts by topic);
  django   a Python expression evaluated with the project's models imported
           and `from django.db.models import *`,
           `from django.db.models.functions import *`;
  tabula   the same query in Tabula (model names bound by the schema, no
           `.objects`);
  ordered  True when the result is compared in order (order_by given),
           False when compared as a multiset;
  departure  None, or (reason, text) for a deliberate departure from
           Django: the harness lists the case as expected-different,
           checks that the two answers STILL differ, and that `text`
           appears in lang/doc/reference.md (its list of departures).
           (reason, text, engine) is a departure on that engine only
           ('sqlite' or 'postgresql'); on the other the answers must be
           equal.
An expression that raises is compared by exception name (the harness
takes `type(e).__name__` on the Django side and `ename` on Tabula's).
Topics added with proxy models and the Django 4 arguments: 'proxy'
(a proxy's name, ordering and objects), 'choices' (get_FOO_display()),
'frames' (Window(frame=RowRange/ValueRange)), 'default' (aggregates'
default=, compared with Django 3.2's Coalesce), 'ordered' (qs.ordered);
'ordering' also covers Meta.ordering inherited from an abstract base and
a multi-table parent.
Values are compared after normalising: dates and datetimes to ISO text,
Decimal to float, booleans to 0/1 (SQLite has no boolean type: Tabula
gives 1 where Django's output_field gives True), model instances to their
primary key. Topic 'ordering' checks Meta.ordering as the default order.
A query set over a model with Meta.ordering that groups
(values().annotate()) ends in order_by(): Django 3.2 adds Meta.ordering's
fields to GROUP BY there, which splits the groups (Django 4 drops them).

The models are the blog and shop apps of tests/django/project (Django's
"Making queries" weblog: Blog, Author, Entry with blog, authors,
headline, pub_date, rating, number_of_comments ...; Comment, Tag; the
shop: Category, Product, Book, Customer, Order, OrderItem). Cases marked
with topic 'm2m' need the many-to-many relations read from the project.
Drawn from Django's documentation: Making queries, Aggregation, the
QuerySet API reference, Query expressions, Conditional expressions and
Window functions.
"""


def _c(topic, django, ordered=False, tabula=None, departure=None):
    if tabula is None:
        tabula = django.replace('.objects.', '.')
    return (topic, django, tabula, ordered, departure)


CASES = [
    # ---- multi-valued relations (Making queries: "Spanning multi-valued
    # relationships")
    _c('multi', "Blog.objects.filter(entry__headline__contains='Lennon', entry__pub_date__year=2005).values_list('name', flat=True)"),
    _c('multi', "Blog.objects.filter(entry__headline__contains='Lennon').filter(entry__pub_date__year=2005).values_list('name', flat=True)"),
    _c('multi', "Blog.objects.filter(entry__headline__contains='Lennon', entry__pub_date__year=2006).count()"),
    _c('multi', "Blog.objects.filter(entry__headline__contains='Lennon').filter(entry__pub_date__year=2006).count()"),
    _c('multi', "Blog.objects.filter(entry__rating=5).filter(entry__rating=4).values_list('name', flat=True)"),
    _c('multi', "Blog.objects.filter(entry__rating=5, entry__number_of_comments=4).count()"),
    _c('multi', "Blog.objects.filter(entry__rating__gte=4).filter(entry__number_of_comments__gt=20).count()"),
    _c('multi', "Blog.objects.filter(entry__rating__gte=4, entry__number_of_comments__gt=20).count()"),
    _c('multi', "Blog.objects.filter(entry__rating__gte=4).filter(entry__number_of_comments__gt=20).distinct().values_list('name', flat=True)"),
    _c('multi', "Blog.objects.filter(Q(entry__rating=5) | Q(entry__rating=2)).distinct().values_list('name', flat=True)"),
    _c('multi', "Blog.objects.filter(entry__rating__lt=3).values_list('name', flat=True)"),
    _c('multi', "Blog.objects.filter(entry__isnull=True).count()"),
    _c('multi', "Blog.objects.filter(entry__comments__text='Great').values_list('name', flat=True)"),
    _c('multi', "Blog.objects.filter(entry__comments__isnull=False).distinct().count()"),
    _c('multi', "Entry.objects.filter(comments__text__startswith='T').values_list('headline', flat=True)"),
    _c('multi', "Entry.objects.filter(comments__author__isnull=True).values_list('headline', flat=True)"),
    _c('multi', "Customer.objects.filter(orders__placed__year=2024).filter(orders__placed__month=3).values_list('name', flat=True)"),
    _c('multi', "Customer.objects.filter(orders__placed__month=1, orders__placed__day=9).count()"),
    _c('multi', "Customer.objects.filter(orders__placed__month=1).filter(orders__placed__day=9).values_list('name', flat=True)"),
    _c('multi', "Category.objects.filter(products__price__gt=15).filter(products__price__lt=19).values_list('name', flat=True)"),
    _c('multi', "Category.objects.filter(products__price__gt=15, products__price__lt=19).values_list('name', flat=True)"),
    # ---- exclude
    _c('exclude', "Blog.objects.exclude(entry__headline__contains='Lennon').values_list('name', flat=True)"),
    _c('exclude', "Blog.objects.exclude(entry__headline__contains='Lennon', entry__pub_date__year=2008).values_list('name', flat=True)"),
    _c('exclude', "Blog.objects.exclude(entry__headline__contains='Lennon', entry__pub_date__year=2005).values_list('name', flat=True)"),
    _c('exclude', "Blog.objects.exclude(entry__in=Entry.objects.filter(headline__contains='Lennon', pub_date__year=2008)).values_list('name', flat=True)"),
    _c('exclude', "Blog.objects.exclude(entry__rating__gte=4).values_list('name', flat=True)"),
    _c('exclude', "Blog.objects.filter(~Q(entry__rating__gte=4)).values_list('name', flat=True)"),
    _c('exclude', "Blog.objects.exclude(entry__rating__gte=4).exclude(entry__rating__lt=2).values_list('name', flat=True)"),
    _c('exclude', "Blog.objects.exclude(Q(entry__rating=5) | Q(entry__rating=1)).values_list('name', flat=True)"),
    _c('exclude', "Entry.objects.exclude(rating__gt=3).values_list('headline', flat=True)"),
    _c('exclude', "Entry.objects.exclude(comments__author__name='Joe').count()"),
    _c('exclude', "Entry.objects.exclude(comments__isnull=True).values_list('headline', flat=True)"),
    _c('exclude', "Entry.objects.exclude(blog__name='Beatles Blog').values_list('headline', flat=True)"),
    _c('exclude', "Entry.objects.exclude(pub_date__year=2005).exclude(rating=2).values_list('headline', flat=True)"),
    _c('exclude', "Entry.objects.exclude(pub_date__year=2005, rating=5).count()"),
    _c('exclude', "Customer.objects.exclude(orders__placed__year=2024).values_list('name', flat=True)"),
    _c('exclude', "Customer.objects.exclude(orders__items__quantity__gt=2).values_list('name', flat=True)"),
    _c('exclude', "Category.objects.exclude(products__isnull=True).values_list('name', flat=True)"),
    _c('exclude', "Product.objects.exclude(author__isnull=True).values_list('name', flat=True)"),
    _c('exclude', "Product.objects.exclude(author__name='Tolkien').values_list('name', flat=True)"),
    # ---- annotate, then filter (Aggregation: "Order of annotate() and
    # filter() clauses")
    _c('annotate', "Blog.objects.annotate(n=Count('entry')).filter(entry__rating__gt=3).values_list('name', 'n')"),
    _c('annotate', "Blog.objects.filter(entry__rating__gt=3).annotate(n=Count('entry')).values_list('name', 'n')"),
    _c('annotate', "Blog.objects.annotate(n=Count('entry', distinct=True)).filter(entry__rating__gt=3).values_list('name', 'n')"),
    _c('annotate', "Blog.objects.annotate(avg=Avg('entry__rating')).filter(entry__rating__gt=3).values_list('name', 'avg')"),
    _c('annotate', "Blog.objects.filter(entry__rating__gt=3).annotate(avg=Avg('entry__rating')).values_list('name', 'avg')"),
    _c('annotate', "Blog.objects.annotate(n=Count('entry')).filter(n__gt=1).values_list('name', flat=True)"),
    _c('annotate', "Blog.objects.annotate(n=Count('entry')).exclude(n__gt=1).values_list('name', flat=True)"),
    _c('annotate', "Blog.objects.annotate(n=Count('entry')).order_by('-n', 'name').values_list('name', 'n')", True),
    _c('annotate', "Blog.objects.annotate(c=Sum('entry__number_of_comments')).order_by('c').values_list('name', 'c')", True),
    _c('annotate', "Blog.objects.annotate(top=Max('entry__rating'), low=Min('entry__rating')).values_list('name', 'top', 'low')"),
    _c('annotate', "Blog.objects.annotate(n=Count('entry__comments')).values_list('name', 'n')"),
    _c('annotate', "Blog.objects.annotate(n=Count('entry'), c=Count('entry__comments')).values_list('name', 'n', 'c')"),
    _c('annotate', "Entry.objects.annotate(n=Count('comments')).filter(n=0).values_list('headline', flat=True)"),
    _c('annotate', "Entry.objects.annotate(n=Count('comments')).aggregate(Avg('n'))"),
    _c('annotate', "Customer.objects.annotate(n=Count('orders')).values_list('name', 'n')"),
    _c('annotate', "Customer.objects.annotate(q=Sum('orders__items__quantity')).values_list('name', 'q')"),
    _c('annotate', "Customer.objects.filter(orders__placed__month__lte=1).annotate(n=Count('orders')).values_list('name', 'n')"),
    _c('annotate', "Customer.objects.annotate(n=Count('orders')).filter(orders__placed__month__lte=1).values_list('name', 'n')"),
    _c('annotate', "Category.objects.annotate(n=Count('products')).filter(n__gte=1).values_list('name', 'n')"),
    _c('annotate', "Category.objects.annotate(avg=Avg('products__price')).values_list('name', 'avg')",
       departure=("SQLite sums decimals as floats; Django rounds a DecimalField "
                  "aggregate to 15 significant digits (27.490000000000002 "
                  "is 27.49 there)",
                  "an aggregate over a `DecimalField` is the float SQLite computes",
                  "sqlite")),
    # ---- default aliases
    _c('alias', "Blog.objects.annotate(Count('entry')).values_list('name', 'entry__count')"),
    _c('alias', "Blog.objects.annotate(Count('entry')).filter(entry__count__gt=1).values_list('name', flat=True)"),
    _c('alias', "Blog.objects.annotate(Count('entry')).order_by('-entry__count').values_list('name', flat=True)", True),
    _c('alias', "Blog.objects.annotate(Count('entry')).values('entry__count').order_by('entry__count')", True),
    _c('alias', "Blog.objects.annotate(Sum('entry__rating')).values_list('entry__rating__sum', flat=True)"),
    _c('alias', "Blog.objects.annotate(Avg('entry__rating')).filter(entry__rating__avg__gte=4).count()"),
    _c('alias', "Blog.objects.annotate(Max('entry__pub_date')).values_list('name', 'entry__pub_date__max')"),
    _c('alias', "Entry.objects.aggregate(Avg('rating'))"),
    _c('alias', "Entry.objects.aggregate(Sum('number_of_comments'), Max('rating'))"),
    _c('alias', "Entry.objects.aggregate(Count('id'), Min('pub_date'))"),
    _c('alias', "Customer.objects.annotate(Count('orders')).filter(orders__count=2).values_list('name', flat=True)"),
    # ---- values() grouping
    _c('group', "Entry.objects.values('blog__name').annotate(n=Count('id')).order_by('blog__name')", True),
    _c('group', "Entry.objects.values('blog').annotate(c=Sum('number_of_comments')).values_list('c', flat=True).order_by()"),
    _c('group', "Entry.objects.values(year=ExtractYear('pub_date')).annotate(n=Count('id')).values_list('n', flat=True).order_by()"),
    _c('group', "Entry.objects.values(month=TruncMonth('pub_date')).annotate(c=Sum('number_of_comments')).values_list('c', flat=True)"),
    _c('group', "Entry.objects.values(year=ExtractYear('pub_date')).annotate(n=Count('id')).order_by('year').values_list('year', 'n')", True),
    _c('group', "Entry.objects.values('status').annotate(n=Count('id')).order_by('status')", True),
    _c('group', "Entry.objects.values('rating').annotate(n=Count('id')).filter(n__gt=1).values_list('rating', flat=True).order_by()"),
    _c('group', "Entry.objects.filter(pub_date__year=2005).values('blog__name').annotate(avg=Avg('rating')).order_by('blog__name')", True),
    _c('group', "Entry.objects.values('blog__name').annotate(n=Count('id')).aggregate(m=Max('n'))"),
    _c('group', "OrderItem.objects.values('product__name').annotate(q=Sum('quantity')).order_by('-q', 'product__name')", True),
    _c('group', "Order.objects.values('customer__city').annotate(n=Count('id')).order_by('customer__city')", True),
    _c('group', "Product.objects.values('category__name').annotate(total=Sum('price')).order_by('category__name')", True,
       departure=("SQLite sums decimals as floats; Django rounds a DecimalField "
                  "aggregate to 15 significant digits (27.490000000000002 "
                  "is 27.49 there)",
                  "an aggregate over a `DecimalField` is the float SQLite computes",
                  "sqlite")),
    # ---- conditional aggregation (Conditional expressions)
    _c('conditional', "Blog.objects.annotate(high=Count('entry', filter=Q(entry__rating__gte=4))).values_list('name', 'high')"),
    _c('conditional', "Entry.objects.aggregate(published=Count('id', filter=Q(status='p')), draft=Count('id', filter=Q(status='d')))"),
    _c('conditional', "Entry.objects.aggregate(c=Sum('number_of_comments', filter=Q(rating=5)))"),
    _c('conditional', "Entry.objects.aggregate(a=Avg('rating', filter=Q(pub_date__year=2005)))"),
    _c('conditional', "Blog.objects.annotate(c=Sum('entry__number_of_comments', filter=Q(entry__pub_date__year=2005))).values_list('name', 'c')"),
    _c('conditional', "Customer.objects.annotate(n=Count('orders', filter=Q(orders__placed__month__gte=2))).values_list('name', 'n')"),
    _c('conditional', "Entry.objects.aggregate(n=Count('id', filter=Q(rating__gte=4) | Q(number_of_comments=0)))"),
    _c('conditional', "Entry.objects.aggregate(n=Count('id', filter=~Q(status='p')))"),
    _c('conditional', "Entry.objects.aggregate(m=Max('rating', filter=Q(blog__name='Cheddar Talk')))"),
    _c('conditional', "Category.objects.annotate(n=Count('products', filter=Q(products__price__gte=18))).values_list('name', 'n')"),
    # ---- Case, When, Value
    _c('case', "Entry.objects.annotate(g=Case(When(rating__gte=5, then=Value('top')), When(rating__gte=3, then=Value('mid')), default=Value('low'))).values_list('headline', 'g')"),
    _c('case', "Entry.objects.annotate(c=Case(When(number_of_comments__gt=10, then='number_of_comments'), default=Value(0))).values_list('c', flat=True)"),
    _c('case', "Entry.objects.aggregate(busy=Sum(Case(When(number_of_comments__gte=10, then=Value(1)), default=Value(0))))"),
    _c('case', "Entry.objects.annotate(s=Case(When(status='p', then=Value('Published')), default=Value('Draft'))).values('s').annotate(n=Count('id')).order_by('s')", True),
    _c('case', "Entry.objects.annotate(x=Case(When(Q(rating=5) & Q(number_of_comments__gt=20), then=Value(1)), default=Value(0))).values_list('x', flat=True)"),
    _c('case', "Entry.objects.annotate(x=Case(When(blog__name='Pop Weekly', then=Value('pop')))).values_list('x', flat=True)"),
    _c('case', "Entry.objects.order_by(Case(When(status='d', then=Value(0)), default=Value(1)), 'id').values_list('headline', flat=True)", True),
    _c('case', "Entry.objects.filter(rating=Case(When(status='d', then=Value(5)), default=Value(4))).values_list('headline', flat=True)"),
    _c('case', "Customer.objects.annotate(local=Case(When(city='Paris', then=Value(True)), default=Value(False))).values_list('name', 'local')"),
    _c('case', "Entry.objects.annotate(v=Value(3)).values_list('v', flat=True)"),
    _c('case', "Entry.objects.annotate(v=F('rating') + Value(1)).values_list('v', flat=True)"),
    # ---- functions
    _c('functions', "Entry.objects.filter(id__lte=2).annotate(t=Concat('headline', Value(' ('), 'status', Value(')'))).values_list('t', flat=True)"),
    _c('functions', "BlogAuthor.objects.annotate(t=Concat('name', Value(' <'), 'email', Value('>'), output_field=CharField())).values_list('t', flat=True)"),
    _c('functions', "BlogAuthor.objects.annotate(t=Concat('name', Value(' <'), 'email', Value('>'))).values_list('t', flat=True)",
       departure=("Concat is text whatever its arguments' types; Django "
                  "asks for output_field when they differ",
                  "`Concat` needs no `output_field`")),
    _c('functions', "Entry.objects.annotate(g=Greatest('rating', 'number_of_comments')).values_list('g', flat=True)"),
    _c('functions', "Entry.objects.annotate(l=Least('rating', 'number_of_comments', 'number_of_pingbacks')).values_list('l', flat=True)"),
    _c('functions', "Entry.objects.annotate(l=Lower('headline')).values_list('l', flat=True)"),
    _c('functions', "Entry.objects.annotate(u=Upper('headline'), n=Length('headline')).values_list('u', 'n')"),
    _c('functions', "Entry.objects.aggregate(c=Coalesce(Max('rating'), 0))"),
    _c('functions', "Entry.objects.annotate(y=ExtractYear('pub_date'), m=ExtractMonth('pub_date'), d=ExtractDay('pub_date')).values_list('y', 'm', 'd')"),
    _c('functions', "Entry.objects.annotate(m=TruncMonth('pub_date')).values_list('m', flat=True)"),
    _c('functions', "Entry.objects.annotate(y=TruncYear('pub_date')).values_list('y', flat=True).distinct().order_by()"),
    # ---- Exists, Subquery, OuterRef (Query expressions)
    _c('subquery', "Blog.objects.filter(Exists(Entry.objects.filter(blog=OuterRef('pk'), rating__lt=3))).values_list('name', flat=True)"),
    _c('subquery', "Blog.objects.filter(~Exists(Entry.objects.filter(blog=OuterRef('pk'), rating__lt=3))).values_list('name', flat=True)"),
    _c('subquery', "Blog.objects.annotate(has=Exists(Entry.objects.filter(blog=OuterRef('pk'), status='d'))).values_list('name', 'has')"),
    _c('subquery', "Blog.objects.annotate(best=Subquery(Entry.objects.filter(blog=OuterRef('pk')).order_by('-number_of_comments').values('headline')[:1])).values_list('name', 'best')"),
    _c('subquery', "Blog.objects.annotate(last=Subquery(Entry.objects.filter(blog=OuterRef('pk')).order_by('-pub_date').values('pub_date')[:1])).values_list('name', 'last')"),
    _c('subquery', "Entry.objects.filter(rating=Subquery(Entry.objects.filter(blog=OuterRef('blog')).order_by('-rating').values('rating')[:1])).values_list('headline', flat=True)"),
    _c('subquery', "Entry.objects.filter(blog__in=Blog.objects.filter(name__contains='Blog')).values_list('headline', flat=True)"),
    _c('subquery', "Entry.objects.filter(pk__in=Comment.objects.values('entry')).values_list('headline', flat=True)"),
    _c('subquery', "Customer.objects.filter(Exists(Order.objects.filter(customer=OuterRef('pk'), placed__month=2))).values_list('name', flat=True)"),
    _c('subquery', "Product.objects.annotate(sold=Subquery(OrderItem.objects.filter(product=OuterRef('pk')).values('product').annotate(q=Sum('quantity')).values('q'))).values_list('name', 'sold')"),
    _c('subquery', "Entry.objects.filter(Exists(Comment.objects.filter(entry=OuterRef('pk')))).count()"),
    # ---- Window functions
    _c('window', "Entry.objects.annotate(n=Window(RowNumber(), partition_by=[F('blog')], order_by=F('pub_date').asc())).values_list('headline', 'n')"),
    _c('window', "Entry.objects.annotate(r=Window(Rank(), order_by=F('number_of_comments').desc())).values_list('headline', 'r')"),
    _c('window', "Entry.objects.annotate(r=Window(DenseRank(), order_by=F('rating').desc())).values_list('headline', 'r')"),
    _c('window', "Entry.objects.annotate(r=Window(Rank(), partition_by=F('blog'), order_by=F('rating').desc())).values_list('headline', 'r')"),
    _c('window', "Entry.objects.annotate(t=Window(Sum('number_of_comments'), partition_by=F('blog'))).values_list('headline', 't')"),
    _c('window', "Entry.objects.annotate(a=Window(Avg('rating'), partition_by=F('blog'))).values_list('headline', 'a')"),
    _c('window', "Entry.objects.annotate(m=Window(Max('rating'), partition_by=F('status'))).values_list('headline', 'm')"),
    _c('window', "Entry.objects.annotate(c=Window(Count('id'), partition_by=F('blog'))).values_list('headline', 'c')"),
    _c('window', "Entry.objects.annotate(p=Window(Lag('number_of_comments'), order_by=F('pub_date').asc())).values_list('headline', 'p')"),
    _c('window', "Entry.objects.annotate(p=Window(Lead('number_of_comments'), order_by=F('pub_date').asc())).values_list('headline', 'p')"),
    _c('window', "Entry.objects.annotate(p=Window(Lag('rating', offset=2, default=0), order_by=F('pub_date').asc())).values_list('headline', 'p')"),
    _c('window', "Entry.objects.annotate(p=Window(Lag('rating'), partition_by=F('blog'), order_by=F('pub_date').asc())).values_list('headline', 'p')"),
    _c('window', "Entry.objects.annotate(run=Window(Sum('number_of_comments'), order_by=F('pub_date').asc())).values_list('headline', 'run')"),
    _c('window', "Entry.objects.annotate(n=Window(RowNumber(), order_by=F('headline').asc())).order_by('n').values_list('headline', flat=True)", True),
    _c('window', "OrderItem.objects.annotate(t=Window(Sum('quantity'), partition_by=F('order'))).values_list('id', 't')"),
    # ---- dates(), datetimes(), defer(), only(), raw(), prefetch_related()
    _c('methods', "Entry.objects.dates('pub_date', 'year')", True),
    _c('methods', "Entry.objects.dates('pub_date', 'month')", True),
    _c('methods', "Entry.objects.dates('pub_date', 'month', order='DESC')", True),
    _c('methods', "Entry.objects.dates('pub_date', 'day')", True),
    _c('methods', "Entry.objects.filter(rating__gte=4).dates('pub_date', 'year')", True),
    _c('methods', "Entry.objects.dates('pub_date', 'year').count()"),
    _c('methods', "Order.objects.dates('placed', 'month')", True),
    _c('methods', "Entry.objects.defer('body_text').values_list('headline', flat=True)"),
    _c('methods', "Entry.objects.only('headline').values_list('headline', flat=True)"),
    _c('methods', "Entry.objects.defer('headline').get(pk=1).rating"),
    _c('methods', "Entry.objects.only('rating').get(pk=2).rating"),
    _c('methods', "Blog.objects.prefetch_related('entry_set').count()",
       tabula="Blog.prefetch_related('entry').count()"),
    _c('methods', "[e.headline for e in Entry.objects.raw('SELECT * FROM blog_entry WHERE rating > %s ORDER BY id', [4])]", True,
       tabula="[e.headline for e in Entry.raw('SELECT * FROM blog_entry WHERE rating > ? ORDER BY id', [4])]"),
    _c('methods', "Entry.objects.filter(pub_date__year=2005).order_by('pub_date').values_list('headline', flat=True)", True),
    _c('methods', "Entry.objects.order_by('-rating', 'headline').values_list('headline', flat=True)[:3]", True),
    _c('methods', "Entry.objects.filter(rating__in=[1, 2]).exists()"),
    _c('methods', "Entry.objects.values_list('rating', flat=True).distinct().count()"),
    # ---- value checks (errors compared by name)
    _c('values', "Entry.objects.filter(rating__gt='abc').count()"),
    _c('values', "Entry.objects.filter(rating__in=[1, 'x']).count()"),
    _c('values', "Entry.objects.filter(rating__range=(1, 'x')).count()"),
    _c('values', "Entry.objects.filter(rating='3').count()"),
    _c('values', "Entry.objects.filter(rating__gte=' 4 ').count()"),
    _c('values', "Entry.objects.filter(blog='Beatles Blog').count()"),
    _c('values', "Entry.objects.filter(blog='1').count()"),
    _c('values', "Comment.objects.filter(author='Joe').count()"),
    _c('values', "Entry.objects.filter(pub_date__gt='2005-13-45').count()"),
    _c('values', "Entry.objects.filter(pub_date__gt='2005-02-30').count()"),
    _c('values', "Entry.objects.filter(pub_date__gt='yesterday').count()"),
    _c('values', "Entry.objects.filter(pub_date__lt='2006-1-2').count()"),
    _c('values', "Entry.objects.filter(pub_date='2005-03-01').count()"),
    _c('values', "Entry.objects.filter(pub_date__range=('2005-01-01', '2005-12-31')).count()"),
    _c('values', "Entry.objects.filter(pub_date__year='2005').count()"),
    _c('values', "Entry.objects.filter(pub_date__year='abc').count()"),
    _c('values', "Entry.objects.filter(pub_date__month__in=[1, 'x']).count()"),
    _c('values', "Order.objects.filter(placed__gte='2024-02-01').count()"),
    _c('values', "Order.objects.filter(placed='2024-02-31').count()"),
    _c('values', "Product.objects.filter(price__gt='abc').count()"),
    _c('values', "Product.objects.filter(price__gt='15').count()"),
    _c('values', "Entry.objects.filter(headline='2025-13-45').count()"),
    # ---- deliberate departures (lang/doc/reference.md, section 14)
    _c('values', "Entry.objects.filter(headline__contains='lennon').count()",
       departure=("contains is case-sensitive on every engine, as Django "
                  "documents it; Django on SQLite uses LIKE",
                  "`contains`, `startswith`, `endswith` are case-sensitive",
                  "sqlite")),
    _c('values', "Entry.objects.filter(headline__startswith='charts').values_list('id', flat=True)",
       departure=("startswith is case-sensitive on every engine",
                  "`contains`, `startswith`, `endswith` are case-sensitive",
                  "sqlite")),
    _c('values', "Entry.objects.filter(rating=1.5).count()",
       departure=("a float compared with an integer field is compared as "
                  "the number it is; Django truncates it with int()",
                  "A float compared with an integer field")),
    _c('values', "Entry.objects.filter(pub_date__year=2005.5).count()",
       departure=("a date part given a fraction is a ValueError; Django "
                  "truncates it",
                  "a date part given a fraction")),
    _c('values', "Entry.objects.aggregate(s=StdDev('rating'), v=Variance('rating'))",
       departure=("SQLite's standard deviation is computed in SQL; Django's "
                  "SQLite backend computes it in Python (statistics), which "
                  "can differ in the last digit",
                  "`StdDev` and `Variance` on SQLite may differ from "
                  "Django's in the last digit", "sqlite")),
    _c('ordering', "Comment.objects.order_by('author__name', 'id').values_list('text', flat=True)", True,
       departure=("NULLs sort first ascending on every engine, as SQLite "
                  "sorts them; Django on PostgreSQL sorts them last",
                  "NULLs sort as SQLite sorts them", "postgresql")),
    _c('ordering', "Comment.objects.order_by('-author__name', 'id').values_list('text', flat=True)", True,
       departure=("NULLs sort last descending on every engine",
                  "NULLs sort as SQLite sorts them", "postgresql")),
    _c('functions', "Entry.objects.annotate(t=Concat('headline', Value('-'), 'rating', output_field=CharField())).values_list('t', flat=True)"),
    _c('functions', "Entry.objects.annotate(x=F('rating') * 1.5).values_list('x', flat=True)"),
    _c('functions', "Entry.objects.annotate(x=F('number_of_comments') / F('rating') + 1).values_list('x', flat=True)"),
    # ---- hints (errors compared by name)
    _c('hints', "Entry.objects.filter(rating__lesthan=3).count()"),
    _c('hints', "Entry.objects.filter(headline__icontain='x').count()"),
    _c('hints', "Entry.objects.filter(pub_date__yaer=2005).count()"),
    _c('hints', "Entry.objects.filter(ratin=3).count()"),
    _c('hints', "Entry.objects.filter(blog__nam='x').count()"),
    _c('hints', "Entry.objects.all().cout()"),
    _c('hints', "Entry.objects.get(pk=1).headlin"),
    # ---- Meta.ordering as the default order (Entry: -pub_date, headline;
    # Order: placed), read from the project by %django
    _c('ordering', "Entry.objects.values_list('headline', flat=True)", True),
    _c('ordering', "Entry.objects.reverse().values_list('headline', flat=True)", True),
    _c('ordering', "Order.objects.values_list('id', 'placed')", True),
    _c('ordering', "Entry.objects.first().headline"),
    _c('ordering', "Entry.objects.last().headline"),
    _c('ordering', "Entry.objects.filter(blog__name='Beatles Blog')[0].headline"),
    _c('ordering', "Entry.objects.values_list('headline', flat=True)[:2]", True),
    _c('ordering', "Entry.objects.filter(rating__gte=4).values('headline', 'pub_date')", True),
    _c('ordering', "Entry.objects.values_list('blog__name', flat=True)", True),
    _c('ordering', "[e.headline for e in Entry.objects.distinct()]", True),
    _c('ordering', "[e.id for e in Entry.objects.filter(status='p')]", True),
    _c('ordering', "Entry.objects.order_by('headline').values_list('headline', flat=True)", True),
    _c('ordering', "Blog.objects.get(name='Beatles Blog').entry_set.values_list('headline', flat=True)", True),
    _c('ordering', "BlogAuthor.objects.get(name='Paul McCartney').entry_set.values_list('headline', flat=True)", True),
    _c('ordering', "Customer.objects.get(name='Ann').orders.values_list('id', flat=True)", True),
    _c('ordering', "Blog.objects.annotate(last=Subquery(Entry.objects.filter(blog=OuterRef('pk')).values('headline')[:1])).values_list('name', 'last')"),
    _c('ordering', "Entry.objects.values_list('rating', flat=True).distinct()",
       departure=("distinct() over values() is not ordered by Meta.ordering; "
                  "Django adds the ordering's fields to SELECT DISTINCT, "
                  "which brings duplicates back",
                  "`distinct()` over `values()` is not ordered by it")),
    _c('ordering', "Entry.objects.values('blog').annotate(n=Count('id')).values_list('n', flat=True)",
       departure=("a grouped values() ignores Meta.ordering, as Django 4 "
                  "does; Django 3.2 adds its fields to GROUP BY, which "
                  "splits the groups",
                  "a grouped `values()` ignores it")),
    # Meta.ordering inherited: Tag from its abstract base Stamped
    # (ordering = ['name']), Book from its multi-table parent Product
    # (ordering = ['-price', 'name']); both differ from primary-key order
    _c('ordering', "Tag.objects.values_list('name', flat=True)", True),
    _c('ordering', "Tag.objects.filter(parent__isnull=True).values_list('name', flat=True)", True),
    _c('ordering', "Tag.objects.first().name"),
    _c('ordering', "Book.objects.values_list('name', flat=True)", True),
    _c('ordering', "Book.objects.first().name"),
    _c('ordering', "Product.objects.values_list('name', flat=True)", True),
    _c('ordering', "Category.objects.get(name='Books').products.values_list('name', flat=True)", True),
    _c('ordering', "Book.objects.reverse().values_list('isbn', flat=True)", True),
    # ---- proxy models (PublishedEntry: own ordering ['headline'];
    # RecentEntry: Entry's, inherited)
    _c('proxy', "PublishedEntry.objects.values_list('headline', flat=True)", True),
    _c('proxy', "PublishedEntry.objects.filter(rating__gte=4).values_list('headline', flat=True)", True),
    _c('proxy', "PublishedEntry.objects.first().headline"),
    _c('proxy', "PublishedEntry.objects.last().headline"),
    _c('proxy', "PublishedEntry.objects.reverse().values_list('id', flat=True)", True),
    _c('proxy', "PublishedEntry.objects.count()"),
    _c('proxy', "PublishedEntry.objects.filter(authors__name='Paul McCartney').values_list('headline', flat=True)", True),
    _c('proxy', "PublishedEntry.objects.filter(blog__name='Beatles Blog')[1].headline"),
    _c('proxy', "PublishedEntry.objects.order_by('-rating', 'id').values_list('id', flat=True)", True),
    _c('proxy', "PublishedEntry.objects.annotate(n=Count('comments')).filter(n__gte=1).values_list('headline', flat=True)"),
    _c('proxy', "RecentEntry.objects.values_list('headline', flat=True)", True),
    _c('proxy', "RecentEntry.objects.filter(rating=5).values_list('headline', flat=True)", True),
    _c('proxy', "PublishedEntry.objects.get(headline='Charts').blog.name"),
    # ---- choices: get_FOO_display() (Entry.status: a class constant;
    # Customer.city: a module constant)
    _c('choices', "Entry.objects.get(headline='Charts').get_status_display()"),
    _c('choices', "[e.get_status_display() for e in Entry.objects.order_by('id')]", True),
    _c('choices', "Customer.objects.get(name='Bob').get_city_display()"),
    _c('choices', "[c.get_city_display() for c in Customer.objects.order_by('name')]", True),
    _c('choices', "[(c.name, c.get_city_display()) for c in Customer.objects.filter(city='Paris')]"),
    _c('choices', "Entry(status='x').get_status_display()",
       tabula="Entry.new(status='x').get_status_display()"),
    _c('choices', "PublishedEntry.objects.get(headline='Charts').get_status_display()"),
    # ---- window frames (Window(frame=RowRange/ValueRange))
    _c('frames', "Entry.objects.annotate(r=Window(Sum('rating'), order_by=F('pub_date').asc(), frame=RowRange(start=-1, end=0))).values_list('headline', 'r')"),
    _c('frames', "Entry.objects.annotate(r=Window(Sum('rating'), order_by=F('pub_date').asc(), frame=RowRange(start=None, end=None))).values_list('headline', 'r')"),
    _c('frames', "Entry.objects.annotate(r=Window(Sum('rating'), order_by=F('rating').asc(), frame=ValueRange(start=None, end=0))).values_list('headline', 'r')"),
    _c('frames', "Entry.objects.annotate(r=Window(Sum('rating'), order_by=F('rating').asc(), frame=RowRange(start=None, end=0))).values_list('r', flat=True).order_by('r')", True),
    _c('frames', "Entry.objects.annotate(a=Window(Avg('number_of_comments'), partition_by=F('blog'), order_by=F('pub_date').asc(), frame=RowRange(start=-1, end=1))).values_list('headline', 'a')"),
    _c('frames', "Entry.objects.annotate(m=Window(Max('rating'), order_by=F('pub_date').asc(), frame=RowRange(start=0, end=2))).values_list('headline', 'm')"),
    _c('frames', "Entry.objects.annotate(c=Window(Count('id'), order_by=F('id').asc(), frame=RowRange(start=-2, end=0))).values_list('id', 'c')"),
    _c('frames', "Entry.objects.annotate(m=Window(Min('number_of_comments'), order_by=F('rating').desc(), frame=ValueRange(start=0, end=None))).values_list('headline', 'm')"),
    _c('frames', "list(Entry.objects.annotate(r=Window(Sum('rating'), order_by=F('id').asc(), frame=RowRange(start=1))).values_list('r', flat=True))"),
    _c('frames', "list(Entry.objects.annotate(r=Window(Sum('rating'), order_by=F('id').asc(), frame=RowRange(end=-1))).values_list('r', flat=True))"),
    # ---- aggregate default= (Django 4; Django 3.2's equivalent,
    # Coalesce, on its side)
    _c('default', "Entry.objects.aggregate(s=Coalesce(Sum('rating', filter=Q(rating__gt=10)), 0))",
       tabula="Entry.aggregate(s=Sum('rating', filter=Q(rating__gt=10), default=0))"),
    _c('default', "Entry.objects.filter(rating__gt=10).aggregate(rating__sum=Coalesce(Sum('rating'), 0))",
       tabula="Entry.filter(rating__gt=10).aggregate(Sum('rating', default=0))"),
    _c('default', "Entry.objects.filter(pk=0).aggregate(a=Coalesce(Avg('rating'), 0.0), m=Coalesce(Max('rating'), -1))",
       tabula="Entry.filter(pk=0).aggregate(a=Avg('rating', default=0.0), m=Max('rating', default=-1))"),
    _c('default', "Blog.objects.annotate(c=Coalesce(Sum('entry__number_of_comments', filter=Q(entry__rating=5)), 0)).values_list('name', 'c')",
       tabula="Blog.annotate(c=Sum('entry__number_of_comments', filter=Q(entry__rating=5), default=0)).values_list('name', 'c')"),
    _c('default', "Customer.objects.annotate(q=Coalesce(Sum('orders__items__quantity'), 0)).values_list('name', 'q')",
       tabula="Customer.annotate(q=Sum('orders__items__quantity', default=0)).values_list('name', 'q')"),
    _c('default', "Customer.objects.annotate(q=Coalesce(Sum('orders__items__quantity'), 0)).order_by('q', 'name').values_list('name', flat=True)", True,
       tabula="Customer.annotate(q=Sum('orders__items__quantity', default=0)).order_by('q', 'name').values_list('name', flat=True)"),
    _c('default', "Entry.objects.aggregate(m=Coalesce(Min('rating', filter=Q(status='d')), 99), n=Coalesce(Max('rating'), 99))",
       tabula="Entry.aggregate(m=Min('rating', filter=Q(status='d'), default=99), n=Max('rating', default=99))"),
    # ---- qs.ordered
    _c('ordered', "Entry.objects.all().ordered"),
    _c('ordered', "Blog.objects.all().ordered"),
    _c('ordered', "Entry.objects.order_by().ordered"),
    _c('ordered', "Blog.objects.order_by('name').ordered"),
    _c('ordered', "Entry.objects.annotate(n=Count('comments')).ordered"),
    _c('ordered', "Entry.objects.none().ordered"),
    _c('ordered', "Entry.objects.values('blog').annotate(n=Count('id')).ordered"),
    _c('ordered', "Entry.objects.filter(rating=5).reverse().ordered"),
    _c('ordered', "Tag.objects.all().ordered"),
    _c('ordered', "Book.objects.filter(isbn__startswith='978').ordered"),
    _c('ordered', "PublishedEntry.objects.all().ordered"),
    _c('ordered', "Blog.objects.annotate(n=Count('entry')).order_by('n').ordered"),
    # ---- many-to-many (need the project's models: %django)
    _c('m2m', "Entry.objects.filter(authors__name='John Lennon').values_list('headline', flat=True)"),
    _c('m2m', "Entry.objects.filter(authors__name='John Lennon').filter(authors__name='Paul McCartney').values_list('headline', flat=True)"),
    _c('m2m', "Entry.objects.filter(authors__name='John Lennon', authors__name__contains='Paul').count()"),
    _c('m2m', "Entry.objects.exclude(authors__name='Paul McCartney').values_list('headline', flat=True)"),
    _c('m2m', "Entry.objects.annotate(n=Count('authors')).values_list('headline', 'n')"),
    _c('m2m', "Entry.objects.annotate(Count('authors')).filter(authors__count__gte=2).values_list('headline', flat=True)"),
    _c('m2m', "Entry.objects.annotate(n=Count('authors')).filter(authors__name='Joe').values_list('headline', 'n')"),
    _c('m2m', "Entry.objects.filter(authors__name='Joe').annotate(n=Count('authors')).values_list('headline', 'n')"),
    _c('m2m', "Entry.objects.annotate(n=Count('authors', filter=Q(authors__name__startswith='P'))).values_list('headline', 'n')"),
    _c('m2m', "Entry.objects.filter(Exists(Tag.objects.filter(entries=OuterRef('pk'), name='music'))).count()"),
    _c('m2m', "Entry.objects.filter(tags__name='music').filter(tags__name='food').count()"),
    _c('m2m', "Order.objects.annotate(n=Count('products')).values_list('id', 'n')"),
    _c('m2m', "Order.objects.filter(products__name='Abbey Road').filter(products__name='The Hobbit').values_list('id', flat=True)"),
    _c('m2m', "Product.objects.annotate(n=Count('orders')).values_list('name', 'n')"),
    _c('m2m', "Product.objects.exclude(orders__customer__name='Ann').values_list('name', flat=True)"),
]
