"""Interface translations, one module per area and language (`zh_cn_<area>.py` with a `TABLE`), merged by app.i18n."""
