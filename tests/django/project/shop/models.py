"""A small shop: orders of products through OrderItem (a `through`
model), a second Author model (book authors) so that the bare name
`Author` is ambiguous, multi-table inheritance and on_delete variants."""
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Category(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        db_table = "shop_categories"
        verbose_name_plural = "categories"


class Product(models.Model):
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    category = models.ForeignKey(Category, on_delete=models.PROTECT,
                                 related_name="products")
    author = models.ForeignKey("shop.Author", on_delete=models.SET_NULL,
                               null=True, blank=True)

    class Meta:
        ordering = ["-price", "name"]


class Book(Product):
    isbn = models.CharField(max_length=13)


CITIES = (("Paris", "Paris, France"), ("Lyon", "Lyon, France"))


class Customer(models.Model):
    name = models.CharField(max_length=100)
    city = models.CharField(max_length=50, default="Paris", choices=CITIES)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,
                                 related_name="orders")
    placed = models.DateField()
    products = models.ManyToManyField(Product, through="OrderItem",
                                      related_name="orders")

    class Meta:
        ordering = ["placed"]


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE,
                              related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        unique_together = [("order", "product")]
