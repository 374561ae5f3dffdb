from django.urls import path, register_converter

from crisisgov.citizen.reservations import views
from crisisgov.kernel.http import IdConverter

register_converter(IdConverter, "rid")  # a longer number is a 404, not an overflow

app_name = "citizen_reservations"

urlpatterns = [
    path("", views.home, name="home"),
    path("lotteries/<rid:window_id>/", views.lottery_page, name="lottery"),
    path("lotteries/<rid:window_id>.json", views.lottery_json, name="lottery_json"),
    path("lotteries/<rid:window_id>/register", views.lottery_register, name="lottery_register"),
    path("pharmacy/", views.staff_home, name="staff"),
    path("pharmacy/<rid:pharmacy_id>/", views.pharmacy, name="pharmacy"),
    path("manage/", views.manage, name="manage"),
    path("open-data/stock.json", views.open_data_json, name="open_data_json"),
    path("open-data/stock.csv", views.open_data_csv, name="open_data_csv"),
]
